"""Calcfunction: species-pair and per-species α²F on matdyn's fine q-mesh from q2r's real-space Φ and Γ."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.constants import BOHR_TO_ANGSTROM
from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.io.qe_q2r import (
    dos_per_mev,
    force_constants_ev_per_a2,
    gamma_to_mev_amu,
    parse_a2f_matdyn,
    parse_force_constants,
)
from aiida_enatom.numerics.interpolation import atom_resolved_alpha2f
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('split_alpha2f',)

#: q2r.x writes the real-space Γ of smearing k (1-based) to ``elph_dir/a2Fmatdyn.<60 + k>``.
FIRST_GAMMA_UNIT = 61


@calcfunction
def split_alpha2f(
    alpha2f: Alpha2FData, force_constants: orm.SinglefileData, q2r_retrieved: orm.FolderData, qpoints: orm.KpointsData
) -> Alpha2FData:
    """Return matdyn's total α²F per smearing together with the species-pair and per-species partials.

    Parameters
    ----------
    alpha2f
        matdyn's α²F (total per smearing); its frequency grid (meV) is reused for the partials.
    force_constants
        q2r's ``real_space_force_constants.dat``.
    q2r_retrieved
        q2r's retrieved folder with the real-space Γ files ``a2Fmatdyn.61``… (retrieved flat).
    qpoints
        matdyn's fine q-mesh (the partials are integrated on the same mesh).
    """
    fc = parse_force_constants(force_constants.get_content(), filename=force_constants.filename)
    gammas = [
        parse_a2f_matdyn(q2r_retrieved.base.repository.get_object_content(name), fc.n_atoms, filename=name)
        for name in (f'a2Fmatdyn.{FIRST_GAMMA_UNIT + index}' for index in range(alpha2f.number_of_smearings))
    ]
    scale = fc.alat_bohr * BOHR_TO_ANGSTROM
    split = atom_resolved_alpha2f(
        force_constants_ev_per_a2(fc.constants),
        [gamma_to_mev_amu(gamma.constants) for gamma in gammas],
        cell=fc.cell * scale,
        positions=fc.positions * scale,
        masses_amu=fc.masses_amu,
        species=fc.species,
        q_mesh=qpoints.get_kpoints_mesh()[0],
        dos_ef_per_mev=[dos_per_mev(gamma.dos_ef) for gamma in gammas],
        frequency_mev=alpha2f.frequency,
    )
    spectra = [
        Alpha2F(alpha2f.frequency, alpha2f.alpha2f[index], dict(part.partials), f'sigma={sigma:g} Ry')
        for index, (part, sigma) in enumerate(zip(split, alpha2f.smearings, strict=True))
    ]
    result = Alpha2FData()
    result.set_from(spectra, alpha2f.smearings, phonon_dos=alpha2f.phonon_dos)
    return result
