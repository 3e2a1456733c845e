"""The GitHub side of a run, the way docker compose runs a project: observe -> plan -> apply.

- `observe` (I/O): one read of GitHub and of the remote's branches into a frozen `GitHubState`;
  `access` reads the token, the identity and the environment; the host is captured once before.
- `plan` (pure): `World` (the report, the config) and `GitHubState` -> one `Plan` holding every
  write of the run: `pulls` (each child's pull request), `tracker` (the MEGA, research issues,
  child comments, closes), `docs` (handover and migration pull requests), `attachments`; texts
  from `texts`, every hidden marker from `markers`.
- `apply` (I/O through two small protocols): executes a `Plan` write by write; `cycle` is the
  one sequence the CLI, the `/drift` commands and the action share (plan; if not empty: lock,
  read again, plan again, apply).
"""
