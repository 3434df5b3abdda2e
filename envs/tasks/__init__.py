"""Tasks: what the robot is asked to do (observation, reward terms, termination). No PyBullet imports."""
