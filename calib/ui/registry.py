"""The page registry: which pages exist and which roles may see them.

``app.py`` builds ``st.navigation`` from :func:`pages_for` the signed-in role.
Other packages add their pages by appending a :class:`PageSpec` to :data:`PAGES`
(a spec whose module is not importable yet is skipped, so waves can land in any
order). A page calls services only; services check permissions again.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from calib.permissions import ROLES

__all__ = ["ALL_ROLES", "PAGES", "PageSpec", "pages_for", "resolve_page"]

ALL_ROLES: frozenset[str] = frozenset(ROLES)


@dataclass(frozen=True)
class PageSpec:
    """One page of the app.

    Attributes
    ----------
    page:
        ``"package.module"``: a page script (preferred; the module defines ``render()``
        and ends with ``if __name__ == "__main__": render()``, so AppTest can
        ``switch_page`` to it), or ``"package.module:function"``, or a callable.
    title, icon:
        Shown in the navigation (icon: an emoji or ``:material/name:``).
    url_path:
        Unique path segment (``/overview``).
    section:
        Navigation group, e.g. ``"Lab"``, ``"Uncertainty"``, ``"Quality"``.
    roles:
        Roles that see the page.
    default:
        The page shown after sign-in (exactly one).
    """

    page: str | Callable[[], None]
    title: str
    icon: str
    url_path: str
    section: str
    roles: frozenset[str] = ALL_ROLES
    default: bool = False


PAGES: list[PageSpec] = [
    PageSpec(
        page="calib.ui.overview",
        title="Lab overview",
        icon=":material/dashboard:",
        url_path="overview",
        section="Lab",
        roles=ALL_ROLES,
        default=True,
    ),
    PageSpec(
        page="calib.ui.lab_people",
        title="People & authorisations",
        icon=":material/badge:",
        url_path="people",
        section="Lab",
    ),
    PageSpec(
        page="calib.ui.lab_jobs",
        title="Jobs",
        icon=":material/work:",
        url_path="jobs",
        section="Lab",
    ),
    PageSpec(
        page="calib.ui.lab_customers",
        title="Customers",
        icon=":material/storefront:",
        url_path="customers",
        section="Lab",
    ),
    PageSpec(
        page="calib.ui.lab_procedures",
        title="Procedures",
        icon=":material/menu_book:",
        url_path="procedures",
        section="Lab",
    ),
    PageSpec(
        page="calib.ui.lab_sites",
        title="Lab & sites",
        icon=":material/domain:",
        url_path="lab-sites",
        section="Lab",
    ),
    PageSpec(
        page="calib.ui.users",
        title="Users",
        icon=":material/manage_accounts:",
        url_path="users",
        section="Administration",
        roles=frozenset({"admin"}),
    ),
    PageSpec(
        page="calib.ui.budget_editor",
        title="Uncertainty budgets",
        icon=":material/functions:",
        url_path="budgets",
        section="Uncertainty",
        roles=ALL_ROLES,
    ),
    PageSpec(
        page="calib.ui.ilc_rounds",
        title="PT rounds",
        icon=":material/compare_arrows:",
        url_path="pt-rounds",
        section="Proficiency testing",
    ),
    PageSpec(
        page="calib.ui.ilc_results",
        title="PT results",
        icon=":material/edit_note:",
        url_path="pt-results",
        section="Proficiency testing",
    ),
    PageSpec(
        page="calib.ui.ilc_history",
        title="PT history",
        icon=":material/timeline:",
        url_path="pt-history",
        section="Proficiency testing",
    ),
    PageSpec(
        page="calib.ui.ilc_plan",
        title="PT plan",
        icon=":material/event_available:",
        url_path="pt-plan",
        section="Proficiency testing",
    ),
    PageSpec(
        page="calib.ui.ilc_homogeneity",
        title="PT item homogeneity",
        icon=":material/grain:",
        url_path="pt-homogeneity",
        section="Proficiency testing",
    ),
    PageSpec(
        page="calib.ui.ilc_setup",
        title="PT set-up",
        icon=":material/add_circle:",
        url_path="pt-setup",
        section="Proficiency testing",
        roles=frozenset({"admin", "manager", "staff"}),
    ),
    PageSpec(
        page="calib.ui.satisfaction_dashboard",
        title="Customer satisfaction",
        icon=":material/sentiment_satisfied:",
        url_path="satisfaction",
        section="Customers",
        roles=frozenset({"admin", "manager", "assessor"}),
    ),
    PageSpec(
        page="calib.ui.satisfaction_complaints",
        title="Complaints",
        icon=":material/report:",
        url_path="complaints",
        section="Customers",
    ),
    PageSpec(
        page="calib.ui.satisfaction_invitations",
        title="Feedback invitations",
        icon=":material/forward_to_inbox:",
        url_path="feedback-invitations",
        section="Customers",
        roles=frozenset({"admin", "manager", "staff"}),
    ),
    PageSpec(
        page="calib.ui.trace_assets",
        title="Asset register",
        icon=":material/inventory_2:",
        url_path="assets",
        section="Traceability",
    ),
    PageSpec(
        page="calib.ui.trace_chain",
        title="Traceability chains",
        icon=":material/account_tree:",
        url_path="traceability-chains",
        section="Traceability",
    ),
    PageSpec(
        page="calib.ui.trace_certificate_entry",
        title="Certificate entry",
        icon=":material/edit_document:",
        url_path="certificate-entry",
        section="Traceability",
        roles=frozenset({"admin", "manager", "staff"}),
    ),
    PageSpec(
        page="calib.ui.trace_impact",
        title="Out-of-tolerance impact",
        icon=":material/crisis_alert:",
        url_path="oot-impact",
        section="Traceability",
    ),
    PageSpec(
        page="calib.ui.trace_intervals",
        title="Calibration intervals",
        icon=":material/update:",
        url_path="calibration-intervals",
        section="Traceability",
    ),
    PageSpec(
        page="calib.ui.assessment_checklist",
        title="Assessment",
        icon=":material/fact_check:",
        url_path="assessment",
        section="Assessment",
    ),
    PageSpec(
        page="calib.ui.assessment_findings",
        title="Findings",
        icon=":material/rate_review:",
        url_path="findings",
        section="Assessment",
    ),
    PageSpec(
        page="calib.ui.assessment_environment",
        title="Environment",
        icon=":material/thermostat:",
        url_path="environment",
        section="Assessment",
    ),
    PageSpec(
        page="calib.ui.assessment_checks",
        title="Check standards",
        icon=":material/monitoring:",
        url_path="check-standards",
        section="Assessment",
    ),
    PageSpec(
        page="calib.ui.assessment_scopes",
        title="Scopes",
        icon=":material/workspace_premium:",
        url_path="scopes",
        section="Assessment",
    ),
]


def resolve_page(spec: PageSpec) -> str | Callable[[], None] | None:
    """The callable or script path of ``spec``, or ``None`` when not importable yet."""
    if callable(spec.page):
        return spec.page
    module_name, _, function_name = spec.page.partition(":")
    try:
        if function_name:
            module = importlib.import_module(module_name)
            target: Callable[[], None] | None = getattr(module, function_name, None)
            return target
        found = importlib.util.find_spec(module_name)
    except ModuleNotFoundError:
        return None
    if found is None or found.origin is None:
        return None
    return found.origin


def pages_for(role: str, pages: list[PageSpec] | None = None) -> list[PageSpec]:
    """The specs ``role`` may see, in registry order."""
    return [spec for spec in (PAGES if pages is None else pages) if role in spec.roles]
