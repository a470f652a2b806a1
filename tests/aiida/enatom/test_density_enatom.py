"""Density enatom and Coulomb-gauge W of the real-QE fcc Al run (LDA, 2×2×2): outputs, sum rules, keys, export."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from aiida_enatom.cli.export import cmd_export_enatom
from aiida_enatom.cli.summary_enatom import summarise
from aiida_enatom.numerics.helmholtz import spectral_curl, spectral_divergence


def test_vector_potential_output(al_enatom_node):
    """W_j is stored for total and hxc; ∇·W = 0 and ∇×W = the stored backflow to float32 precision."""
    node = al_enatom_node
    assert node.is_finished_ok, node.exit_message
    cell = np.array(node.outputs.dataset['supercell_cell'])
    atom = node.outputs.atoms.atom_00
    assert sorted(atom.vector_potential.get_arraynames()) == ['hxc', 'total']
    w = atom.vector_potential.get_array('total').astype(float)
    backflow = atom.backflow.get_array('total').astype(float)
    curl = spectral_curl(w, cell)
    # The stored backflow also holds the Nyquist-plane content (even grids) that no W reproduces: remove it
    # independently (numpy FFT), then ∇×W is the backflow to float32 storage precision.
    spectrum = np.fft.fftn(backflow, axes=(1, 2, 3))
    for axis, n in enumerate(backflow.shape[1:], start=1):
        if n % 2 == 0:
            index = [slice(None)] * 4
            index[axis] = n // 2
            spectrum[tuple(index)] = 0.0
    smooth = np.fft.ifftn(spectrum, axes=(1, 2, 3)).real
    assert np.linalg.norm(curl - smooth) / np.linalg.norm(smooth) < 1e-5
    nyquist = atom.metrics['norms']['total']['backflow_nyquist_fraction']
    assert nyquist == pytest.approx(np.linalg.norm(backflow - smooth) / np.linalg.norm(backflow), rel=1e-3)
    assert np.abs(spectral_divergence(w, cell)).max() < 1e-5 * np.abs(curl).max()


def test_density_enatom_outputs(al_enatom_node):
    """plot_num=0 of the same SCFs: electron count, ∫ρ_j = Z, charge neutrality, acoustic and rigid sum rules."""
    node = al_enatom_node
    pp_labels = {link.link_label for link in node.base.links.get_outgoing().all()}
    assert {'pp_density_pristine', 'pp_density_displacement_00'} <= pp_labels
    # no new SCF: one per supercell, as without the density
    assert sum(label.startswith('scf_') for label in pp_labels) == node.outputs.metrics['n_supercell_scf']
    metrics = node.outputs.density.metrics.get_dict()
    # Debian's Al.pz-vbc has Z = 3: 8 atoms hold 24 valence electrons
    assert metrics['density_electrons_expected'] == pytest.approx(24.0)
    assert metrics['density_electrons'] == pytest.approx(24.0, rel=1e-4)
    assert metrics['density_charge_neutrality_residual'] < 1e-3
    assert metrics['density_sum_rule_translational_residual'] < 5e-2
    assert metrics['density_sum_rule_rigid_residual'] < 1e-2
    atom = node.outputs.density.atom_00
    rho = atom.rigid.get_array('rigid').astype(float)
    volume = abs(np.linalg.det(np.array(node.outputs.dataset['supercell_cell'])))
    assert rho.mean() * volume == pytest.approx(3.0, rel=1e-5)
    am = atom.metrics.get_dict()
    assert am['valence_charge'] == 3.0
    assert am['nearest_neighbour_distance'] == pytest.approx(4.05 / np.sqrt(2), rel=0.05)
    assert 0 < am['backflow_to_rigid'] < 0.5
    radial = atom.radial
    assert radial.get_y()[0][0] == 'rigid'
    assert 'density_backflow_to_rigid_ratio_Al' in metrics


def test_density_summary_keys(al_enatom_node):
    summary = summarise(al_enatom_node)
    for key in (
        'density_electrons',
        'density_sum_rule_translational_residual',
        'density_charge_neutrality_residual',
        'density_min_shell_Al',
        'density_deformation_cubic_Al',
    ):
        assert key in summary
    assert 'density' in summary['atoms']['atom_00']
    json.dumps(summary)


def test_export_vector_fields(al_enatom_node, tmp_path):
    """xsf export: W and B components and norms as grids, and arrow files with one vector per sub-grid point."""
    from aiida_enatom.io.xsf import parse_xsf_grids, parse_xsf_vector_field

    result = CliRunner().invoke(
        cmd_export_enatom, [str(al_enatom_node.pk), '--format', 'xsf', '-o', str(tmp_path), '--max-arrows', '500']
    )
    assert result.exit_code == 0, result.output
    grids = parse_xsf_grids(tmp_path / f'enatom_{al_enatom_node.pk}_atom_00.xsf')
    for name in ('W_total_x', 'W_total_y', 'W_total_z', 'W_norm_total', 'density_rigid', 'B_x', 'B_norm'):
        assert name in grids
    w = al_enatom_node.outputs.atoms.atom_00.vector_potential.get_array('total')
    np.testing.assert_allclose(grids['W_total_y'], w[1], atol=1e-7 * np.abs(w).max() + 1e-12)
    points, vectors = parse_xsf_vector_field(tmp_path / f'enatom_{al_enatom_node.pk}_atom_00_arrows_W_total.xsf')
    assert 0 < len(points) <= 500
    np.testing.assert_allclose(vectors[0], w[:, 0, 0, 0], rtol=1e-6, atol=1e-12)
