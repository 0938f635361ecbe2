"""Staff and access: accounts with argon2 passwords, roles and permissions, sign-in, masking."""

from __future__ import annotations

from trust.staff.accounts import (
    StaffListing,
    StaffMember,
    add_staff,
    disable_staff,
    enable_staff,
    generate_password,
    get_staff,
    list_staff,
    set_password,
    set_reveal_grant,
    set_role,
)
from trust.staff.auth import SIGN_IN_REFUSED, LoginResult, authenticate, login
from trust.staff.masking import mask_payload, mask_text, reveal
from trust.staff.roles import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    has_permission,
    parse_role,
    permissions_of,
    require,
)
from trust.staff.throttle import SignInThrottle

__all__ = [
    "ROLE_PERMISSIONS",
    "SIGN_IN_REFUSED",
    "LoginResult",
    "Permission",
    "Role",
    "SignInThrottle",
    "StaffListing",
    "StaffMember",
    "add_staff",
    "authenticate",
    "disable_staff",
    "enable_staff",
    "generate_password",
    "get_staff",
    "has_permission",
    "list_staff",
    "login",
    "mask_payload",
    "mask_text",
    "parse_role",
    "permissions_of",
    "require",
    "reveal",
    "set_password",
    "set_reveal_grant",
    "set_role",
]
