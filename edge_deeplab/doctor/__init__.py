"""`edge-deeplab doctor`: is this machine ready for the main job, the GPU gate and a phone? (checks.py)"""
