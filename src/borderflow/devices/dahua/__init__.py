"""Dahua ITC ANPR cameras (ITSAPI traffic-event push)."""

from borderflow.devices.dahua.itsapi import DahuaAdapter

__all__ = ["DahuaAdapter"]
