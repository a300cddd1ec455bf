"""Live push: committed events go out over Socket.IO to the rooms the server chose for each user."""
