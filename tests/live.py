"""The live site for browser and concurrency tests is ``kpay.testing.live``; kept for its importers."""

from kpay.testing.live import DEMO_PASSWORD, Client, Site, free_port, link_in, serve, wait_until_up

__all__ = ["DEMO_PASSWORD", "Client", "Site", "free_port", "link_in", "serve", "wait_until_up"]
