"""The HTTP server: the application factory, routes and error answers."""
