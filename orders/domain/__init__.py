"""Order domain: plain Python, no transport. States, transitions, events and stage rules."""
