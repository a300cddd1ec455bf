"""Dash callbacks, one module per page: parse input, call one service, render."""
