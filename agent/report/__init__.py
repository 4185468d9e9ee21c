"""What happened: findings, recommendations, evidence, diagrams, sections, the RCA report."""
