# JetStream: streams, consumers and the $JS.API request/reply surface.
#
# The data layer is pure and importable on its own: types (the API's JSON shapes), errors (the error
# table), jsonutil (Go-compatible JSON in and out) and validate (stream config rules).
