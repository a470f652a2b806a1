"""``enatom.ph_split``: ph.x split by irreducible q-point gives what one ph.x run gives, and a failed q restarts alone.

Real QE 6.7, serial: fcc Al (Debian's LDA pseudopotential, 12/48 Ry, k 4³, la2F), interpolated el-ph on the 2×2×2
q-mesh (3 irreducible q: Γ, L, X), as in ``test_ph_base.py``, 10 broadenings from 0.005 Ry (q2r.x reads 10).
``tr2_ph = 1e-20`` (ph.x's cost barely changes on this system): the split's q-point runs reproduce the single run to
the self-consistency of the linear response, not bit for bit, because ph.x's non-self-consistent run of each q ≠ Γ
starts from random wavefunctions whose sequence continues within one ph.x process. Dynamical and el-ph matrices
agree to 1e-6 of their largest element; λ per q and λ from matdyn's α²F to 3e-6 (measured up to 1.6e-6 and 2.4e-6):
that floor does not move from tr2_ph 1e-18 to 1e-20, so it is not the linear response's self-consistency.

The failure of one q is injected by a wrapper around ph.x (``_FAIL_ONCE``): while a flag file exists, the first run
whose input has ``start_q = 2`` gets ``niter_ph = 1`` written into its ``&INPUTPH``, so real ph.x stops at L with
"No convergence has been achieved" (exit 410); the flag is removed, the handler of that q's EnatomPhBaseWorkChain
restarts it (``recover``), and Γ and X run once.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida.plugins import CalculationFactory, WorkflowFactory

from aiida_enatom.calculations.ph import EnatomPhCalculation
from aiida_enatom.common.ph_split import expected_files
from aiida_enatom.io.qe_dyn import parse_dyn_file
from aiida_enatom.io.qe_matdyn import parse_a2f_dos
from aiida_enatom.io.qe_ph import parse_a2fq2r, parse_elph_lambda
from aiida_enatom.numerics.moments import coupling_lambda
from aiida_enatom.workflows.ph_split import EnatomPhSplitWorkChain
from tests.aiida.workflows.conftest import SERIAL, al_scf_calculation, installed_code

PhCalculation = CalculationFactory('quantumespresso.ph')
Q2rCalculation = CalculationFactory('quantumespresso.q2r')
MatdynCalculation = CalculationFactory('quantumespresso.matdyn')

N_SIGMA = 10  # q2r.x 6.7 reads a2Fq2r.51-60: el-ph runs for q2r need 10 broadenings
INPUTPH = {
    'tr2_ph': 1.0e-20,
    'electron_phonon': 'interpolated',
    'el_ph_sigma': 0.005,
    'el_ph_nsigma': N_SIGMA,
    'fildvscf': 'dvscf',
}
RTOL = 1.0e-6
#: λ per q and λ from matdyn's α²F: measured 0.5-1.6e-6 per q and 1.2-2.4e-6 after q2r/matdyn (10 broadenings), a floor
#: that tr2_ph 1e-18 -> 1e-20 does not lower (ph.x's non-self-consistent runs start from different random vectors).
RTOL_LAMBDA = 3.0e-6
#: matdyn's α²F per bin, relative to its maximum: a mode moving by 1e-6 can change bins (measured 1.3-2.0e-5).
RTOL_ALPHA2F = 5.0e-5

_FAIL_ONCE = r"""#!/bin/sh
# Test wrapper of ph.x: while FLAG exists, the first run of q-point 2 gets niter_ph = 1 (then FLAG is removed).
if grep -Eq 'start_q *= *2$' aiida.in && [ -e '{flag}' ]; then
    rm -f '{flag}'
    sed -i 's/^&INPUTPH$/\&INPUTPH\n  niter_ph = 1/' aiida.in
fi
exec '{ph_x}' "$@"
"""


@pytest.fixture(scope='module')
def computer(enatom_computer):
    return enatom_computer


def _code(computer, executable: str, plugin: str, path: str | None = None):
    return installed_code(computer, executable, plugin, 'ph-split', path)


@pytest.fixture(scope='module')
def ph_code(computer):
    return _code(computer, 'ph.x', 'quantumespresso.ph')


@pytest.fixture(scope='module')
def al_scf(computer):
    """A finished pw.x SCF of fcc Al with ``la2F`` (primitive cell, LDA, 12/48 Ry, MV 0.05 Ry, k 4³)."""
    return al_scf_calculation(computer, True, 'ph-split')


def _qpoints() -> orm.KpointsData:
    qpoints = orm.KpointsData()
    qpoints.set_kpoints_mesh([2, 2, 2])
    return qpoints


@pytest.fixture(scope='module')
def single(ph_code, al_scf):
    """One ph.x run over the whole 2×2×2 grid (the reference)."""
    inputs = {
        'code': ph_code,
        'parent_folder': al_scf.outputs.remote_folder,
        'qpoints': _qpoints(),
        'parameters': orm.Dict({'INPUTPH': INPUTPH}),
        'metadata': {'options': SERIAL},
    }
    _, node = run_get_node(EnatomPhCalculation, **inputs)
    assert node.is_finished_ok, node.exit_message
    return node


def _split_builder(ph_code, al_scf):
    builder = EnatomPhSplitWorkChain.get_builder()
    builder.ph.code = ph_code
    builder.ph.parent_folder = al_scf.outputs.remote_folder
    builder.ph.parameters = orm.Dict({'INPUTPH': INPUTPH})
    builder.ph.metadata.options = SERIAL
    builder.qpoints = _qpoints()
    builder.max_iterations = orm.Int(3)
    return builder


@pytest.fixture(scope='module')
def split(ph_code, al_scf):
    _, node = run_get_node(_split_builder(ph_code, al_scf))
    return node


@pytest.fixture(scope='module')
def split_with_failure(computer, al_scf, tmp_path_factory):
    """The split with q-point 2 (L) made to fail once by the wrapper."""
    folder = tmp_path_factory.mktemp('fail_once')
    flag = folder / 'FLAG'
    flag.touch()
    wrapper = folder / 'ph_fail_q2.sh'
    wrapper.write_text(_FAIL_ONCE.format(flag=flag, ph_x=shutil.which('ph.x')))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    code = _code(computer, 'ph.x', 'quantumespresso.ph', path=str(wrapper))
    _, node = run_get_node(_split_builder(code, al_scf))
    assert not flag.exists(), 'the wrapper never injected the failure'
    return node


def _folder(remote: orm.RemoteData) -> Path:
    return Path(remote.get_remote_path())


def _reports(node) -> str:
    return '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))


def _by_label(node) -> dict[str, orm.ProcessNode]:
    """Called processes of ``node`` keyed by call link label."""
    links = node.base.links.get_outgoing(node_class=orm.ProcessNode).all()
    return {link.link_label: link.node for link in links}


def _calcjobs(workchain) -> list[orm.CalcJobNode]:
    return sorted((c for c in workchain.called if isinstance(c, orm.CalcJobNode)), key=lambda c: c.ctime)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| / max |b| (the elements near zero are judged against the largest)."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(np.asarray(b))))


def _reduced_keys(q_points, cell_alat) -> list[tuple[float, ...]]:
    """Reduced q modulo 1, rounded: ph.x may list a q-star in another order and with other representatives q + G."""
    reduced = np.asarray(q_points) @ np.asarray(cell_alat).T
    keys = np.round(np.mod(np.round(reduced, 6), 1.0), 6) % 1.0
    return [tuple(float(x) + 0.0 for x in key) for key in keys]


def _assert_same_star(q_ours, ours, q_theirs, theirs, cell_alat, name: str) -> None:
    """Same q-star and, q by q (C(q + G) = C(q)), matrices within RTOL of the largest element."""
    ours = dict(zip(_reduced_keys(q_ours, cell_alat), ours, strict=True))
    theirs = dict(zip(_reduced_keys(q_theirs, cell_alat), theirs, strict=True))
    assert set(ours) == set(theirs), name
    largest = max(np.abs(matrix).max() for matrix in theirs.values())
    difference = max(np.abs(ours[q] - theirs[q]).max() for q in theirs)
    if largest == 0.0:  # Γ's el-ph matrix of a one-atom cell: the acoustic modes do not couple
        assert difference == 0.0, name
        return
    assert difference / largest <= RTOL, f'{name}: {difference / largest:.2e}'


def _lambda_q(folder: Path, index: int) -> list[float]:
    """Σ over the q-star of Tr(Γ_σ(q) C(q)⁻¹)/N_σ(E_F), per broadening σ: ∝ λ_q = Σ_ν λ_qν (ν: all modes).

    With e_ν, ω²_ν the eigenpairs of C/√(M_a M_b), λ_qν ∝ e†Γe/(√(M_a M_b) N ω²_ν), so Σ_ν λ_qν ∝ Tr(Γ C⁻¹): basis-
    and mass-independent, from the printed matrices at their full precision. Not for Γ (C singular).
    """
    dyn = parse_dyn_file(folder / 'DYN_MAT' / f'dynamical-matrix-{index}')
    cell = dyn.cell / dyn.alat_angstrom
    inverse = dict(zip(_reduced_keys(dyn.q_points, cell), np.linalg.inv(dyn.matrices), strict=True))
    values = []
    for sigma in range(1, N_SIGMA + 1):
        star = parse_a2fq2r(folder / 'elph_dir' / f'a2Fq2r.{50 + sigma}.{index}')
        total = 0.0
        plus, minus = _reduced_keys(star.q_points, cell), _reduced_keys(-star.q_points, cell)
        for key, key_minus, gamma in zip(plus, minus, star.gamma_mev_amu, strict=True):
            if key in inverse:
                total += float(np.real(np.trace(gamma @ inverse[key])))
            else:  # the -q partner that ph.x adds when -q is not in the star: C(-q) = C(q)*
                total += float(np.real(np.trace(gamma @ inverse[key_minus].conj())))
        values.append(total / star.dos_ef_per_mev)
    return values


def test_split_runs_one_job_per_q(split):
    """Init, one EnatomPhBaseWorkChain per irreducible q (each one ph.x run), the gathering and the merge."""
    node = split
    assert node.is_finished_ok, f'{node.exit_status} {node.exit_message}\n{_reports(node)}'
    called = _by_label(node)
    assert set(called) == {'ph_init', 'ph_q_0001', 'ph_q_0002', 'ph_q_0003', 'gather', 'merge_split_ph_outputs'}
    assert called['ph_init'].outputs.output_parameters['number_of_qpoints'] == 3
    for index in (1, 2, 3):
        assert called[f'ph_q_{index:04d}'].process_label == 'EnatomPhQpointWorkChain'
        (calculation,) = _calcjobs(called[f'ph_q_{index:04d}'])
        inputph = calculation.inputs.parameters['INPUTPH']
        assert inputph['start_q'] == inputph['last_q'] == index
        assert calculation.process_type == 'aiida.calculations:enatom.ph'
        # Each q-point job wrote only its own dynamical matrix (and the grid file).
        assert sorted(calculation.outputs.remote_folder.listdir('DYN_MAT')) == [
            'dynamical-matrix-0',
            f'dynamical-matrix-{index}',
        ]
    assert called['gather'].process_type == 'aiida.calculations:core.transfer'
    assert node.outputs.remote_folder.uuid == called['gather'].outputs.remote_folder.uuid


def test_gathered_folder_is_a_single_run_folder(split, single):
    """The gathered folder has exactly the DYN_MAT and elph_dir files of the single run."""
    gathered, reference = _folder(split.outputs.remote_folder), _folder(single.outputs.remote_folder)
    expected = expected_files([1, 2, 3], N_SIGMA)
    for subfolder, names in expected.items():
        assert sorted(path.name for path in (gathered / subfolder).iterdir()) == names
        assert sorted(path.name for path in (reference / subfolder).iterdir()) == names
    # The grid file and the first two q-points are byte-identical; X agrees to tr2_ph (see the module docstring).
    for name in ('dynamical-matrix-0', 'dynamical-matrix-1', 'dynamical-matrix-2'):
        assert (gathered / 'DYN_MAT' / name).read_text() == (reference / 'DYN_MAT' / name).read_text()


@pytest.mark.parametrize('index', [1, 2, 3])
def test_dynamical_matrices_and_gamma_agree(split, single, index):
    """C(q) and the el-ph Γ(q) of every broadening agree with the single run to 1e-6 of their largest element."""
    gathered, reference = _folder(split.outputs.remote_folder), _folder(single.outputs.remote_folder)
    name = f'dynamical-matrix-{index}'
    ours, theirs = parse_dyn_file(gathered / 'DYN_MAT' / name), parse_dyn_file(reference / 'DYN_MAT' / name)
    cell = theirs.cell / theirs.alat_angstrom
    _assert_same_star(ours.q_points, ours.matrices, theirs.q_points, theirs.matrices, cell, name)
    for sigma in range(1, N_SIGMA + 1):
        file = f'a2Fq2r.{50 + sigma}.{index}'
        ours, theirs = parse_a2fq2r(gathered / 'elph_dir' / file), parse_a2fq2r(reference / 'elph_dir' / file)
        assert ours.dos_ef_per_mev == theirs.dos_ef_per_mev
        _assert_same_star(ours.q_points, ours.gamma_mev_amu, theirs.q_points, theirs.gamma_mev_amu, cell, file)


@pytest.mark.parametrize('index', [2, 3])
def test_lambda_per_q_agrees(split, single, index):
    """λ_q per broadening (from Γ and C at full printed precision) to 3e-6; ph.x's printed λ_qν to their 4 decimals."""
    gathered, reference = _folder(split.outputs.remote_folder), _folder(single.outputs.remote_folder)
    assert _lambda_q(gathered, index) == pytest.approx(_lambda_q(reference, index), rel=RTOL_LAMBDA, abs=0.0)
    name = f'elph.inp_lambda.{index}'
    ours, theirs = parse_elph_lambda(gathered / 'elph_dir' / name), parse_elph_lambda(reference / 'elph_dir' / name)
    assert np.all(np.abs(ours.coupling_lambda - theirs.coupling_lambda) <= 1.0e-4)  # the 4 printed decimals


def test_merged_output_parameters(split, single):
    """The merged output_parameters have the single run's q-points and frequencies under the same keys."""
    merged = split.outputs.output_parameters.get_dict()
    reference = single.outputs.output_parameters.get_dict()
    assert merged['number_of_qpoints'] == reference['number_of_qpoints'] == 3
    assert merged['number_of_irr_representations_for_each_q'] == reference['number_of_irr_representations_for_each_q']
    for index in (1, 2, 3):
        key = f'dynamical_matrix_{index}'
        assert merged[key]['q_point'] == reference[key]['q_point']
        assert merged[key]['frequencies'] == pytest.approx(reference[key]['frequencies'], rel=RTOL, abs=1.0e-3)


def _q2r_matdyn(computer, parent: orm.RemoteData) -> orm.CalcJobNode:
    q2r_options = {**SERIAL, 'additional_retrieve_list': ['elph_dir/a2Fmatdyn.*']}
    _, q2r = run_get_node(
        Q2rCalculation,
        code=_code(computer, 'q2r.x', 'quantumespresso.q2r'),
        parent_folder=parent,
        parameters=orm.Dict({'INPUT': {'zasr': 'simple', 'la2f': True}}),
        metadata={'options': q2r_options},
    )
    assert q2r.is_finished_ok, q2r.exit_message
    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([8, 8, 8])
    _, matdyn = run_get_node(
        MatdynCalculation,
        code=_code(computer, 'matdyn.x', 'quantumespresso.matdyn'),
        force_constants=q2r.outputs.force_constants,
        parent_folder=q2r.outputs.remote_folder,
        kpoints=kpoints,
        parameters=orm.Dict({'INPUT': {'asr': 'simple', 'dos': True, 'la2f': True, 'ndos': 100}}),
        metadata={'options': SERIAL},
    )
    assert matdyn.is_finished_ok, matdyn.exit_message
    return matdyn


def test_alpha2f_and_lambda_agree(computer, split, single):
    """q2r.x + matdyn.x on the gathered folder give the single run's α²F (5e-5 of its maximum) and λ (3e-6)."""
    ours, theirs = (
        _q2r_matdyn(computer, split.outputs.remote_folder),
        _q2r_matdyn(computer, single.outputs.remote_folder),
    )
    for sigma in range(1, N_SIGMA + 1):
        name = f'a2F.dos{sigma}'
        spectra = [
            parse_a2f_dos(node.outputs.retrieved.base.repository.get_object_content(name), filename=name)
            for node in (ours, theirs)
        ]
        a, b = spectra
        assert np.allclose(a.frequency_mev, b.frequency_mev, rtol=1.0e-5, atol=0.0)  # the grid ends at ω_max
        assert _relative(a.total, b.total) <= RTOL_ALPHA2F, name
        lambdas = coupling_lambda(a.to_alpha2f()), coupling_lambda(b.to_alpha2f())
        assert lambdas[0] == pytest.approx(lambdas[1], rel=RTOL_LAMBDA, abs=0.0), name


def test_failed_q_restarts_alone(split_with_failure, single):
    """L fails once (injected) and is restarted by its own WorkChain; Γ and X run once; results as the single run."""
    node = split_with_failure
    assert node.is_finished_ok, f'{node.exit_status} {node.exit_message}\n{_reports(node)}'
    called = _by_label(node)
    first, second = _calcjobs(called['ph_q_0002'])
    assert first.exit_status == PhCalculation.exit_codes.ERROR_CONVERGENCE_NOT_REACHED.status
    stdout = first.outputs.retrieved.base.repository.get_object_content('aiida.out')
    assert 'No convergence has been achieved' in stdout
    assert second.is_finished_ok
    assert second.inputs.parameters['INPUTPH']['recover'] is True
    assert second.inputs.parent_folder.uuid == first.outputs.remote_folder.uuid
    for label in ('ph_init', 'ph_q_0001', 'ph_q_0003'):
        assert len(_calcjobs(called[label])) == 1, label
    gathered, reference = _folder(node.outputs.remote_folder), _folder(single.outputs.remote_folder)
    name = 'dynamical-matrix-2'
    ours, theirs = parse_dyn_file(gathered / 'DYN_MAT' / name), parse_dyn_file(reference / 'DYN_MAT' / name)
    cell = theirs.cell / theirs.alat_angstrom
    _assert_same_star(ours.q_points, ours.matrices, theirs.q_points, theirs.matrices, cell, name)
    assert _lambda_q(gathered, 2) == pytest.approx(_lambda_q(reference, 2), rel=RTOL_LAMBDA, abs=0.0)


def test_split_refuses_start_q(ph_code, al_scf):
    """INPUTPH keys that the split sets itself are refused before anything runs."""
    builder = _split_builder(ph_code, al_scf)
    builder.ph.parameters = orm.Dict({'INPUTPH': {**INPUTPH, 'start_q': 2}})
    with pytest.raises(ValueError, match='start_q'):
        run_get_node(builder)


def test_entry_point():
    assert WorkflowFactory('enatom.ph_split') is EnatomPhSplitWorkChain
