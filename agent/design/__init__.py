"""What to try: the ideas and planner, the policy screen, proposing and saving specs."""
