"""Other outlets' feeds: fetching them politely and safely, and reading their items."""
