"""Mixins shared by the aiida-enatom WorkChains: work-directory cleaning and exit-code bookkeeping."""

from __future__ import annotations

from collections import Counter

from aiida import orm

__all__ = ('CleanWorkdirMixin', 'duplicate_exit_statuses')


class CleanWorkdirMixin:
    """Clean the remote work directories of all called CalcJobs on termination when ``clean_workdir`` is true.

    The mixin declares the ``clean_workdir`` input itself; put it before ``WorkChain`` in the bases.
    """

    @classmethod
    def define(cls, spec) -> None:
        """Add the ``clean_workdir`` input to the spec of the WorkChain."""
        super().define(spec)
        spec.input(
            'clean_workdir',
            valid_type=orm.Bool,
            default=lambda: orm.Bool(False),
            help='If true, clean the remote folders of all calculations when this WorkChain terminates.',
        )

    def on_terminated(self) -> None:
        """Clean the work directories of every CalcJob called (at any depth) if ``clean_workdir`` is true."""
        super().on_terminated()
        if not self.inputs.clean_workdir.value:
            self.report('remote folders will not be cleaned')
            return
        cleaned = []
        for called in self.node.called_descendants:
            if isinstance(called, orm.CalcJobNode):
                try:
                    called.outputs.remote_folder._clean()
                    cleaned.append(str(called.pk))
                except (OSError, KeyError, AttributeError):
                    pass
        if cleaned:
            self.report(f'cleaned remote folders of calculations: {" ".join(cleaned)}')


def duplicate_exit_statuses(process_class) -> dict[int, list[str]]:
    """Return the exit statuses of ``process_class`` that more than one exit-code label uses.

    ``spec.exit_code`` keys exit codes by label, so a status reused from a base class goes unnoticed; this is
    what the uniqueness tests call. An empty dict means every status is unique.
    """
    codes = process_class.spec().exit_codes
    counts = Counter(code.status for code in codes.values())
    return {
        status: sorted(label for label, code in codes.items() if code.status == status)
        for status, count in counts.items()
        if count > 1
    }
