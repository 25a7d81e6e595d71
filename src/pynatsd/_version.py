__version__ = "0.1.0"

# The nats-server release whose client-visible behaviour pynatsd implements; clients gate features on
# the `version` field of INFO, so this is what INFO and /varz report as `version`.
NATS_SERVER_VERSION = "2.15.1"
