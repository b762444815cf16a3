"""Bulk propagation kernels on plain float arrays (km, s, rad).

``mean_elements_state`` evaluates Kepler motion with the secular J2 drift of the node, perigee and mean anomaly
(Vallado, Fundamentals of Astrodynamics, 4th ed., eqs. 9-41 and 9-42; the same rates as Kozai's first-order theory).
Short-period J2 terms are left out: against a numerically integrated J2 orbit this costs a few km in position, and an
along-track drift that grows with time when the given elements are osculating rather than mean (see docs).
Every argument broadcasts, so (S, 1) elements against (1, T) times give an (S, T) grid, and (N,) against (N,)
gives N independent (satellite, time) pairs.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import J2_EARTH, MU_EARTH, R_EARTH


def secular_rates(a, ecc, inc, j2: bool = True):
    """Secular rates (rad/s) of RAAN, argument of perigee and mean anomaly under J2.

    dRAAN/dt = -3/2 n J2 (R/p)^2 cos i
    dargp/dt = 3/4 n J2 (R/p)^2 (5 cos^2 i - 1)
    dM/dt    = n [1 + 3/4 J2 (R/p)^2 sqrt(1 - e^2) (3 cos^2 i - 1)]
    """
    n = np.sqrt(MU_EARTH / a**3)
    if not j2:
        zero = np.zeros_like(n)
        return zero, zero, n
    p = a * (1.0 - ecc**2)
    k = J2_EARTH * (R_EARTH / p) ** 2
    c = np.cos(inc)
    raan_dot = -1.5 * n * k * c
    argp_dot = 0.75 * n * k * (5.0 * c**2 - 1.0)
    m_dot = n * (1.0 + 0.75 * k * np.sqrt(1.0 - ecc**2) * (3.0 * c**2 - 1.0))
    return raan_dot, argp_dot, m_dot


def solve_kepler(mean_anomaly, ecc, tol: float = 1e-13, max_iter: int = 50):
    """Eccentric anomaly from mean anomaly by Newton's method, vectorised."""
    m = np.mod(mean_anomaly, 2.0 * np.pi)
    ecc = np.broadcast_to(ecc, m.shape)
    if not np.any(ecc):
        return m
    e_anom = np.where(ecc < 0.8, m, np.pi)
    for _ in range(max_iter):
        f = e_anom - ecc * np.sin(e_anom) - m
        step = f / (1.0 - ecc * np.cos(e_anom))
        e_anom = e_anom - step
        if np.max(np.abs(step)) < tol:
            break
    return e_anom


def mean_elements_state(a, ecc, inc, raan0, argp0, m0, t, j2: bool = True, rates=None, velocity: bool = True):
    """GCRS position (km) and velocity (km/s) at ``t`` seconds after the elements' epoch.

    With (xi, eta) the position in the orbital plane measured from the ascending node, N the unit vector to the
    node and M the in-plane unit vector 90 deg ahead of it, r = xi N + eta M. The velocity is the exact time
    derivative of this model, drift of the node and perigee included. ``rates`` may pass precomputed
    ``secular_rates``; with ``velocity=False`` the velocity is None (the position is the same to the last bit).
    """
    raan_dot, argp_dot, m_dot = secular_rates(a, ecc, inc, j2) if rates is None else rates
    raan = raan0 + raan_dot * t
    argp = argp0 + argp_dot * t
    mean = m0 + m_dot * t
    circular = not np.any(ecc)
    if circular:
        u = argp + mean
        cu, su = np.cos(u), np.sin(u)
        xi, eta = a * cu, a * su
    else:
        e_anom = solve_kepler(mean, ecc)
        cos_e, sin_e = np.cos(e_anom), np.sin(e_anom)
        b = np.sqrt(1.0 - ecc**2)
        x = a * (cos_e - ecc)
        y = a * b * sin_e
        cw, sw = np.cos(argp), np.sin(argp)
        xi, eta = x * cw - y * sw, x * sw + y * cw
    co, so = np.cos(raan), np.sin(raan)
    ci, si = np.cos(inc), np.sin(inc)
    shape = np.broadcast_shapes(np.shape(xi), np.shape(co))
    r = np.empty(shape + (3,))
    eta_ci = eta * ci
    r[..., 0] = xi * co - eta_ci * so
    r[..., 1] = xi * so + eta_ci * co
    r[..., 2] = eta * si
    if not velocity:
        return r, None
    if circular:
        rate = m_dot + argp_dot
        xi_dot, eta_dot = -rate * eta, rate * xi
    else:
        e_dot = m_dot / (1.0 - ecc * cos_e)
        vx = -a * sin_e * e_dot - argp_dot * y
        vy = a * b * cos_e * e_dot + argp_dot * x
        xi_dot, eta_dot = vx * cw - vy * sw, vx * sw + vy * cw
    v = np.empty(shape + (3,))
    eta_dot_ci = eta_dot * ci
    # Node drift turns the orbit about z: its contribution raan_dot * z x r.
    v[..., 0] = xi_dot * co - eta_dot_ci * so - raan_dot * r[..., 1]
    v[..., 1] = xi_dot * so + eta_dot_ci * co + raan_dot * r[..., 0]
    v[..., 2] = eta_dot * si
    return r, v


def mean_elements_position_one(a, ecc, inc, raan0, argp0, m0, t, rates, tol: float = 1e-13, max_iter: int = 50):
    """``mean_elements_state(..., velocity=False)`` of one satellite at one time on Python floats: the same
    operations in the same order, so the same position to the last bit, without array overhead (a hop's range in
    the mission simulation asks for one at a time)."""
    raan_dot, argp_dot, m_dot = rates
    raan = raan0 + raan_dot * t
    argp = argp0 + argp_dot * t
    mean = m0 + m_dot * t
    if not ecc:
        u = argp + mean
        xi, eta = a * math.cos(u), a * math.sin(u)
    else:
        m = mean % (2.0 * math.pi)
        e_anom = m if ecc < 0.8 else math.pi
        for _ in range(max_iter):
            step = (e_anom - ecc * math.sin(e_anom) - m) / (1.0 - ecc * math.cos(e_anom))
            e_anom = e_anom - step
            if abs(step) < tol:
                break
        b = math.sqrt(1.0 - ecc * ecc)
        x = a * (math.cos(e_anom) - ecc)
        y = a * b * math.sin(e_anom)
        cw, sw = math.cos(argp), math.sin(argp)
        xi, eta = x * cw - y * sw, x * sw + y * cw
    co, so = math.cos(raan), math.sin(raan)
    eta_ci = eta * math.cos(inc)
    return xi * co - eta_ci * so, xi * so + eta_ci * co, eta * math.sin(inc)
