# The standard library's web server, serving the folder www/ (files are relative to the
# scenario's folder); handle_request() answers one request and returns.
import http.server, functools

handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory='www')
with http.server.HTTPServer(('0.0.0.0', 8000), handler) as httpd:
    httpd.handle_request()
