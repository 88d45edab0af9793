"""MineSafe (矿安治本监管平台): mine-safety regulation platform."""
