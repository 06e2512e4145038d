"""Read queries of the web UI's screens: what a page shows, in a fixed number of queries."""
