"""HJ 212-2017 online-monitoring packets: the parser, the packet-log loader, the device registry."""
