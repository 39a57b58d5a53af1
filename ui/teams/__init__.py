"""The Teams bot at `POST /api/messages` (`ui.teams.bot.add_teams`), its token checks
(`ui.teams.auth`) and signing keys (`ui.teams.keys`); the app package template is in
`ui/teams/manifest/`."""
