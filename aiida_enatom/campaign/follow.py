"""Follow a daemon campaign: keep submitting as points finish, until every point has ended.

``campaign launch --daemon`` submits what fits under ``max_active`` and returns; the rest needs the command again.
:func:`follow_campaign` is that relaunch in a loop: every ``interval`` seconds it plans the campaign again (one
extras query, as a relaunch does), submits the sweeps that now fit, and returns once nothing is left to submit and
no sweep of the campaign is active. A point it has submitted once is not submitted again in the same call: if it
fails, it stays failed (listed in :attr:`FollowResult.given_up`), so a point that fails by nature does not loop.
The processes run in the daemon; stopping the follower (Ctrl-C) stops only the submitting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiida_enatom.campaign.launch import execute_plan, plan_campaign

__all__ = ('FollowResult', 'follow_campaign')


@dataclass
class FollowResult:
    """What a followed launch did: the sweeps it submitted and the points it did not retry."""

    group_label: str
    submitted: list[int] = field(default_factory=list)
    given_up: list[tuple[str, float]] = field(default_factory=list)
    rounds: int = 0


def follow_campaign(
    campaign,
    *,
    max_active: int,
    interval: float = 30.0,
    on_event: Callable[[str], None] = lambda message: None,
    sleep: Callable[[float], None] = time.sleep,
) -> FollowResult:
    """Submit the campaign's sweeps to the daemon as capacity frees up; return when every point has ended.

    Parameters
    ----------
    campaign : aiida_enatom.io.campaign.Campaign
        The validated campaign file.
    max_active : int
        Most points active at once (the throttle of ``campaign launch``).
    interval : float
        Seconds between two rounds of planning (s).
    on_event : callable
        Receives one line per submission and per change of what is active.
    sleep : callable
        How to wait between rounds (``time.sleep``).

    Returns
    -------
    FollowResult
        The sweeps submitted and the (candidate, pressure) left failed.

    Raises
    ------
    aiida_enatom.exceptions.InputValidationError
        As :func:`~aiida_enatom.campaign.launch.plan_campaign`, checked again every round (e.g. a code deleted
        meanwhile).
    """
    tried: dict[str, set[float]] = {}
    result = FollowResult(group_label=campaign.name)
    waiting_note = None
    while True:
        plan = plan_campaign(campaign, max_active=max_active, skip=tried)
        result.rounds += 1
        result.given_up = plan.given_up
        submitted = execute_plan(plan, max_active=max_active, daemon=True, on_event=on_event, relaunch_hint=False)
        for sweep in plan.sweeps[: len(submitted)]:
            tried.setdefault(sweep.candidate, set()).update(sweep.pressures)
        result.submitted.extend(submitted)
        waiting = len(plan.sweeps) - len(submitted)
        if not plan.sweeps and not plan.active and plan.active_load == 0:
            return result
        note = (
            f'{plan.active_load}/{max_active} point slot(s) in use, {len(plan.active)} point(s) running, {waiting} '
            'sweep(s) waiting for capacity'
        )
        if submitted or note != waiting_note:
            on_event(note)
            waiting_note = note
        sleep(interval)
