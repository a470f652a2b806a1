"""Calcfunction: per-atom metrics Dicts and the summary of an enatom calculation."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction


@calcfunction
def collect_enatom_metrics(dataset: orm.Dict, linearity: orm.Dict, sum_rules: orm.Dict, **per_atom: orm.Dict) -> dict:
    """Merge decomposition norms, tails, linearity and sum rules into one Dict per atom and a summary.

    Parameters
    ----------
    dataset, linearity, sum_rules
        Outputs of ``generate_displacements``, ``compute_potential_derivatives`` and ``compute_sum_rules``.
    per_atom
        ``decomposition_atom_NN`` (``decompose_potential``) and ``tail_atom_NN`` (``compute_radial_profile``).

    Returns
    -------
    dict
        ``atom_NN``: Dict with ``site``, ``element``, ``backflow_to_rigid`` and ``tail`` (eV) per component,
        ``linearity_error`` (largest asymmetry number) and the sum-rule residuals; ``summary``: Dict with
        ``n_supercell_scf``, ``sum_rule_rigid_residual``, ``sum_rule_backflow_residual``, ``linearity_error``,
        and per element ``backflow_to_rigid_ratio_<El>`` and ``tail_<El>`` (total potential).
    """
    data = dataset.get_dict()
    sites = linearity['inequivalent_atoms']
    kinds = data['kind_names']
    lin_error = max(linearity['total'])
    outputs, summary = (
        {},
        {
            'n_supercell_scf': data['n_supercell_scf'],
            'supercell_matrix': data['supercell_matrix'],
            'n_supercell_atoms': len(data['supercell_numbers']),
            'displacement_amplitude': data['amplitude'],
            'sum_rule_rigid_residual': sum_rules['total']['rigid'],
            'sum_rule_backflow_residual': sum_rules['total']['backflow'],
            'sum_rule_translational_residual': sum_rules['total']['translational'],
            'linearity_error': lin_error,
            'sum_rules': sum_rules.get_dict(),
        },
    )
    for index, site in enumerate(sites):
        label = f'atom_{index:02d}'
        kind = kinds[data['supercell_numbers'][site] - 1]
        element = ''.join(c for c in kind if c.isalpha())
        decomposition, tail = per_atom[f'decomposition_{label}'], per_atom[f'tail_{label}']
        metrics = {
            'site': site,
            'kind': kind,
            'element': element,
            'linearity_error': lin_error,
            'backflow_to_rigid': {c: decomposition[c]['backflow_to_rigid'] for c in ('total', 'hxc', 'bare')},
            'tail': {c: tail[c]['tail'] for c in ('total', 'hxc', 'bare')},
            'tail_relative': {c: tail[c]['relative'] for c in ('total', 'hxc', 'bare')},
            'norms': decomposition.get_dict(),
            'sum_rule_rigid_residual': sum_rules['total']['rigid'],
            'sum_rule_backflow_residual': sum_rules['total']['backflow'],
        }
        outputs[label] = orm.Dict(metrics)
        summary.setdefault(f'backflow_to_rigid_ratio_{element}', metrics['backflow_to_rigid']['total'])
        summary.setdefault(f'tail_{element}', metrics['tail']['total'])
    outputs['summary'] = orm.Dict(summary)
    return outputs
