# The NATS client protocol without I/O: parser, encoders, subject rules. Nothing here may import
# asyncio or sockets, so every piece is testable with plain bytes.
