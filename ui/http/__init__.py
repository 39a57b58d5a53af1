"""The REST API (`ui.http.api.add_api`): one router per resource, with shared
dependencies (`ui.http.deps`) and error handling (`ui.http.errors`)."""
