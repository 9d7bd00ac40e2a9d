"""Everything that leaves the process over HTTP: the guarded client (invariant 9) and the one
mapping of vendor and transport failures into `DeliveryFailed`."""

from relaydesk.outbound.policy import ALLOW_SETTING, AddressPolicy, parse_allow_list
from relaydesk.outbound.transport import OutboundRefused, outbound_client

__all__ = ["ALLOW_SETTING", "AddressPolicy", "OutboundRefused", "outbound_client", "parse_allow_list"]
