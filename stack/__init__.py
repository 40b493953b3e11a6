"""The native stack: the production services as supervised processes on loopback (`make stack`).

The same configuration files as the container runtimes (nginx/, monitoring/); this package only
renders the small address files they include and the supervisor config, then starts and waits.
"""
