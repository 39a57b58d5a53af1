"""The staff chat: a Gradio app mounted at "/" (`ui.chat.app.add_chat`), its handlers,
rendering, and sign-in (a key as password, or OpenID Connect)."""
