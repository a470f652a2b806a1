"""Summary of a finished ``enatom.enatom`` WorkChain node for ``aiida-enatom show`` (plain dict, JSON-ready)."""

from __future__ import annotations

from typing import Any

__all__ = ('is_enatom_node', 'summarise')


def is_enatom_node(node) -> bool:
    """Return whether ``node`` is a process node of the ``enatom.enatom`` WorkChain."""
    return (getattr(node, 'process_type', None) or '').endswith('enatom.enatom')


def summarise(node) -> dict[str, Any]:
    """Return the headline numbers of an enatom WorkChain node.

    Parameters
    ----------
    node : aiida.orm.WorkChainNode
        A node of ``enatom.enatom`` (finished or not).

    Returns
    -------
    dict
        ``pk``, ``process_state``, ``exit_status``, ``exit_message`` and, once the metrics exist,
        ``n_supercell_scf``, ``n_supercell_atoms``, ``supercell_matrix``, ``fft_grid``, ``displacement_amplitude``,
        ``sum_rule_rigid_residual``, ``sum_rule_backflow_residual``, ``sum_rule_translational_residual``,
        ``linearity_error``, ``backflow_to_rigid_ratio_<El>`` and ``tail_<El>`` (eV, total local potential) per
        element, and ``atoms``: per ``atom_NN`` its site, element and backflow/rigid ratios (total, hxc, bare).
        With the density enatom also the ``density_*`` keys of ``outputs.density.metrics`` (electron count, density
        sum rules incl. the acoustic one, charge neutrality, per element ``density_backflow_to_rigid_ratio_<El>``,
        ``density_min_shell_<El>`` (e/Å³) and its radius, ``density_negative_charge_<El>`` (e),
        ``density_deformation_cubic_<El>`` (e/Å⁴, the sign of the deformation)) and ``density`` per atom in ``atoms``.
        With the plane-wave split of I² (``outputs.plane_wave``) also its flat keys (``I2_<El>_pw_rigid_eV2_per_A2``,
        ``I2_<El>_pw_backflow_eV2_per_A2``, ``I2_<El>_pw_eV2_per_A2``, ``I2_<El>_backflow_share``,
        ``I2_<El>_backflow_share_lattice``, ``pw_*``) and ``plane_wave`` per atom in ``atoms`` (rigid, backflow and
        share of the total local potential, eV²/Å²).
    """
    state = node.process_state.value if node.process_state is not None else None
    summary: dict[str, Any] = {
        'pk': node.pk,
        'process_label': node.process_label,
        'process_state': state,
        'exit_status': node.exit_status,
        'exit_message': node.exit_message,
    }
    outputs = node.outputs
    if 'metrics' not in outputs:
        return summary
    metrics = outputs.metrics.get_dict()
    metrics.pop('sum_rules', None)
    summary.update(metrics)
    if 'fft_grid' in outputs:
        summary['fft_grid'] = outputs.fft_grid.get_list()
    density = outputs.density if 'density' in outputs else None
    if density is not None and 'metrics' in density:
        summary.update(density.metrics.get_dict())
    plane_wave = outputs.plane_wave.get_dict() if 'plane_wave' in outputs else {}
    plane_wave_atoms = plane_wave.pop('pw_atoms', {})
    summary.update(plane_wave)
    atoms = {}
    if 'atoms' in outputs:
        for label in sorted(outputs.atoms):
            atom_metrics = outputs.atoms[label].metrics.get_dict()
            atoms[label] = {
                'site': atom_metrics['site'],
                'element': atom_metrics['element'],
                'backflow_to_rigid': atom_metrics['backflow_to_rigid'],
                'tail_eV': atom_metrics['tail'],
            }
            if label in plane_wave_atoms:
                total = plane_wave_atoms[label]['total']
                atoms[label]['plane_wave'] = {
                    'multiplicity': plane_wave_atoms[label]['multiplicity'],
                    'rigid_eV2_per_A2': total['rigid'],
                    'backflow_eV2_per_A2': total['backflow'],
                    'backflow_share': total['backflow_share'],
                    'backflow_share_lattice': total['lattice_backflow_share'],
                }
            if density is not None and label in density:
                dm = density[label].metrics.get_dict()
                atoms[label]['density'] = {
                    key: dm[key]
                    for key in (
                        'backflow_to_rigid',
                        'min_shell',
                        'charge_neutrality',
                        'backflow_cubic_dominant',
                        'backflow_cubic_dominant_radius',
                        'nearest_neighbour_distance',
                        'rigid_charge_within_r_max',
                    )
                }
    summary['atoms'] = atoms
    return summary
