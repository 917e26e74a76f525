"""The iiif URL dialect's endpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
