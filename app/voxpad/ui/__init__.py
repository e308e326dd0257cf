"""Qt widgets and the controllers that bridge the engines to them."""
