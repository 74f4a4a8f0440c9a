"""Hikvision ANPR cameras (ISAPI event push)."""

from borderflow.devices.hikvision.isapi import HikvisionAdapter

__all__ = ["HikvisionAdapter"]
