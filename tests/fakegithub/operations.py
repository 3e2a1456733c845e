"""The GitHub REST operations the fake serves.

This list is the single source of truth for three things:

* ``openapi/regenerate.py`` copies exactly these operations (and every
  component they reference, transitively) out of GitHub's official OpenAPI
  description into ``openapi/github-rest-subset.json``;
* the fake's router must have a handler for each of them and for nothing
  else (``tests/test_fakegithub_contract.py`` checks both directions);
* the contract checker validates requests and responses against them.

Paths are spelled exactly as in the description (placeholders included).
"""

from __future__ import annotations

# Version of the npm package @octokit/openapi the subset is taken from.
OPENAPI_PACKAGE = "@octokit/openapi"
OPENAPI_VERSION = "23.0.2"
OPENAPI_FILE = "generated/api.github.com.json"

R = "/repos/{owner}/{repo}"

SERVED_OPERATIONS: tuple[tuple[str, str], ...] = (
    ("GET", "/user"),
    ("GET", "/users/{username}"),
    ("GET", "/rate_limit"),
    ("GET", R),
    ("GET", R + "/collaborators/{username}/permission"),
    # issues
    ("GET", R + "/issues"),
    ("POST", R + "/issues"),
    ("GET", R + "/issues/{issue_number}"),
    ("PATCH", R + "/issues/{issue_number}"),
    # comments
    ("GET", R + "/issues/comments"),
    ("GET", R + "/issues/{issue_number}/comments"),
    ("POST", R + "/issues/{issue_number}/comments"),
    ("GET", R + "/issues/comments/{comment_id}"),
    ("PATCH", R + "/issues/comments/{comment_id}"),
    ("DELETE", R + "/issues/comments/{comment_id}"),
    # reactions
    ("GET", R + "/issues/{issue_number}/reactions"),
    ("POST", R + "/issues/{issue_number}/reactions"),
    ("DELETE", R + "/issues/{issue_number}/reactions/{reaction_id}"),
    ("GET", R + "/issues/comments/{comment_id}/reactions"),
    ("POST", R + "/issues/comments/{comment_id}/reactions"),
    ("DELETE", R + "/issues/comments/{comment_id}/reactions/{reaction_id}"),
    # labels
    ("GET", R + "/labels"),
    ("POST", R + "/labels"),
    ("GET", R + "/labels/{name}"),
    ("PATCH", R + "/labels/{name}"),
    ("DELETE", R + "/labels/{name}"),
    ("GET", R + "/issues/{issue_number}/labels"),
    ("POST", R + "/issues/{issue_number}/labels"),
    ("PUT", R + "/issues/{issue_number}/labels"),
    ("DELETE", R + "/issues/{issue_number}/labels"),
    ("DELETE", R + "/issues/{issue_number}/labels/{name}"),
    # sub-issues
    ("GET", R + "/issues/{issue_number}/sub_issues"),
    ("POST", R + "/issues/{issue_number}/sub_issues"),
    ("DELETE", R + "/issues/{issue_number}/sub_issue"),
    ("PATCH", R + "/issues/{issue_number}/sub_issues/priority"),
    ("GET", R + "/issues/{issue_number}/parent"),
    # pulls
    ("GET", R + "/pulls"),
    ("POST", R + "/pulls"),
    ("GET", R + "/pulls/{pull_number}"),
    ("PATCH", R + "/pulls/{pull_number}"),
    ("GET", R + "/pulls/{pull_number}/merge"),
    ("PUT", R + "/pulls/{pull_number}/merge"),
    ("GET", R + "/pulls/{pull_number}/commits"),
    # pull request reviews
    ("GET", R + "/pulls/{pull_number}/reviews"),
    ("POST", R + "/pulls/{pull_number}/reviews"),
    ("PUT", R + "/pulls/{pull_number}/reviews/{review_id}/dismissals"),
    # git refs and branches
    ("GET", R + "/git/ref/{ref}"),
    ("GET", R + "/git/matching-refs/{ref}"),
    ("POST", R + "/git/refs"),
    ("PATCH", R + "/git/refs/{ref}"),
    ("DELETE", R + "/git/refs/{ref}"),
    ("GET", R + "/branches"),
    ("GET", R + "/branches/{branch}"),
    # GitHub Actions: a workflow run (its status, for the bot to wait on)
    ("GET", R + "/actions/runs/{run_id}"),
    # GitHub Apps: an installation token minted with the app's JWT
    ("GET", R + "/installation"),
    ("POST", "/app/installations/{installation_id}/access_tokens"),
)
