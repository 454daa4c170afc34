using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Identity;
using Custos.Server.Api;
using Custos.Server.Api.Identity;
using Custos.Server.Configuration;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Identity;

public sealed partial class IdentityService
{
    private const int MaxTraits = 64;
    private const int MaxTraitValues = 64;

    public async Task<IResult> ListUsersAsync(string? kind, CancellationToken cancellationToken)
    {
        IdentityKind? filter = null;
        if (kind is not null)
        {
            if (!IdentityNames.TryParseKind(kind, out var k)) return Problems.Validation("kind", "must be user, bot or agent");
            filter = k;
        }
        var list = await store.ListIdentitiesAsync(filter, cancellationToken).ConfigureAwait(false);
        var dtos = new List<UserDto>(list.Count);
        foreach (var identity in list) dtos.Add(await ToDtoAsync(identity, cancellationToken).ConfigureAwait(false));
        return Results.Ok(new UserListResponse(dtos));
    }

    /// <summary>Looks an identity up by the name in the URL, or returns the problem.</summary>
    private async Task<(IdentityRecord? Identity, IResult? Problem)> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (!IdentityName.TryNormalize(name, out _, out var key, out var error)) return (null, Problems.Validation("name", error ?? "is not a valid name"));
        var identity = await store.GetIdentityByNameAsync(key, cancellationToken).ConfigureAwait(false);
        return identity is null ? (null, Problems.NotFound($"no user, bot or agent named {name}")) : (identity, null);
    }

    public async Task<IResult> GetUserAsync(string name, CancellationToken cancellationToken)
    {
        var (identity, problem) = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        return problem ?? Results.Ok(await ToDtoAsync(identity!, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Roles to assign must exist in the policy (custos admin roles ls); none given means the default role <c>user</c>.</summary>
    private IResult? CheckRoles(IReadOnlyList<string>? roles, out IReadOnlyList<string> normalised)
    {
        normalised = [BuiltInRoles.User];
        if (roles is null) return null;
        if (roles.Count > 64) return Problems.Validation("roles", "at most 64 roles");
        var current = policy.Current;
        foreach (var role in roles)
        {
            if (role is null || current.FindRole(role) is null)
                return Problems.Validation("roles", $"unknown role \"{Clip(role)}\": no role of that name exists (custos admin roles ls)");
        }
        normalised = roles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return null;
    }

    private static IResult? CheckTraits(IReadOnlyDictionary<string, IReadOnlyList<string>>? traits, out IReadOnlyDictionary<string, IReadOnlyList<string>> normalised)
    {
        normalised = new Dictionary<string, IReadOnlyList<string>>();
        if (traits is null) return null;
        if (traits.Count > MaxTraits) return Problems.Validation("traits", $"at most {MaxTraits} traits");
        var result = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (key, values) in traits)
        {
            if (key.Length is 0 or > 64 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                return Problems.Validation("traits", $"trait name \"{Clip(key)}\" must be 1-64 characters of letters, digits, '_', '-' or '.'");
            if (values is null || values.Count > MaxTraitValues) return Problems.Validation("traits", $"trait {key} must have at most {MaxTraitValues} values");
            foreach (var value in values)
            {
                if (value is null || value.Length > 256 || value.Any(char.IsControl))
                    return Problems.Validation("traits", $"a value of trait {key} is longer than 256 characters or contains a control character");
            }
            result[key] = values.Distinct(StringComparer.Ordinal).ToList();
        }
        normalised = new Dictionary<string, IReadOnlyList<string>>(result, StringComparer.Ordinal);
        return null;
    }

    private bool IsRecentMfa(CustosPrincipal caller) => caller.HasRecentMfa(time.GetUtcNow(), _options.StepUpWindow);

    private IResult StepUpRequired(string action) =>
        Problems.Forbidden("mfa-step-up-required", "Recent MFA required",
            $"{action} needs an MFA check within the last {_options.StepUpWindow.TotalMinutes:0} minutes: run custos mfa verify (POST /v1/auth/mfa/verify), then retry");

    /// <summary>Creates a user and returns a one-time invitation. Creating an administrator needs a recent MFA check.</summary>
    public async Task<IResult> CreateUserAsync(CustosPrincipal caller, CreateUserRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (CheckName(request.Name, "name", out var name, out var nameKey) is { } badName) return badName;
        if (CheckContact(request.DisplayName, request.Email) is { } badContact) return badContact;
        if (CheckRoles(request.Roles, out var roles) is { } badRoles) return badRoles;
        if (CheckTraits(request.Traits, out var traits) is { } badTraits) return badTraits;
        var ttl = _options.InvitationTtl;
        if (request.InvitationTtl is not null)
        {
            try
            {
                ttl = ConfigurationLoader.ParseDuration(request.InvitationTtl, "invitation_ttl");
            }
            catch (ConfigurationException e)
            {
                return Problems.Validation("invitation_ttl", e.Message);
            }
            if (ttl < TimeSpan.FromMinutes(5) || ttl > TimeSpan.FromDays(30)) return Problems.Validation("invitation_ttl", "must be from 5m to 30d");
        }
        if (roles.Contains(BuiltInRoles.Admin) && !IsRecentMfa(caller)) return StepUpRequired("creating an administrator");

        var now = Now();
        var identity = new IdentityRecord(SecretToken.NewId(), name, nameKey, request.DisplayName, request.Email, IdentityKind.User, IdentityStatus.Active,
            roles, traits, now, null, 1);
        var (token, invitation) = Invitations.New(identity.Id, InvitationPurpose.Invite, ttl, caller.Identity.Name, now);
        if (!await store.TryCreateIdentityWithInvitationAsync(identity, invitation, cancellationToken).ConfigureAwait(false))
            return Problems.Conflict("name-taken", "Name taken", $"the name {name} is taken (names are unique without regard to case)");
        await AuditAsync("user.create", caller.Actor, AuditOutcome.Success, info, Target(identity), details: new JsonObject
        {
            ["kind"] = "user",
            ["roles"] = new JsonArray(roles.Select(r => (JsonNode?)r).ToArray()),
            ["invitation_id"] = invitation.Id,
            ["invitation_expires_at"] = AuditChain.FormatTime(invitation.ExpiresAt),
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Created("/v1/users/" + Uri.EscapeDataString(name), new CreateUserResponse(await ToDtoAsync(identity, cancellationToken).ConfigureAwait(false),
            new InvitationDto(invitation.Id, "invite", token, AuditChain.FormatTime(invitation.ExpiresAt))));
    }

    /// <summary>Changes display name, email, roles or traits. Changing roles needs a recent MFA check.</summary>
    public async Task<IResult> UpdateUserAsync(CustosPrincipal caller, string name, UpdateUserRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var (identity, problem) = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        if (problem is not null) return problem;
        if (CheckContact(request.DisplayName, request.Email) is { } badContact) return badContact;
        IReadOnlyList<string>? roles = null;
        if (request.Roles is not null)
        {
            if (CheckRoles(request.Roles, out var r) is { } badRoles) return badRoles;
            roles = r;
        }
        IReadOnlyDictionary<string, IReadOnlyList<string>>? traits = null;
        if (request.Traits is not null)
        {
            if (CheckTraits(request.Traits, out var t) is { } badTraits) return badTraits;
            traits = t;
        }
        var rolesChanged = roles is not null && !roles.SequenceEqual(identity!.Roles);
        if (rolesChanged && !IsRecentMfa(caller)) return StepUpRequired("changing roles");
        var updated = identity! with
        {
            DisplayName = request.DisplayName ?? identity.DisplayName,
            Email = request.Email ?? identity.Email,
            Roles = roles ?? identity.Roles,
            Traits = traits ?? identity.Traits,
            Revision = identity.Revision + 1,
        };
        return await ApplyUpdateAsync(caller, identity, updated, request.Revision ?? identity.Revision, "user.update", info, new JsonObject
        {
            ["roles"] = rolesChanged ? new JsonArray(updated.Roles.Select(x => (JsonNode?)x).ToArray()) : null,
            ["previous_roles"] = rolesChanged ? new JsonArray(identity.Roles.Select(x => (JsonNode?)x).ToArray()) : null,
            ["traits_changed"] = traits is not null,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>suspend | resume | disable. Suspending or disabling revokes every session at once.</summary>
    public async Task<IResult> SetStatusAsync(CustosPrincipal caller, string name, IdentityStatus status, RequestInfo info, CancellationToken cancellationToken)
    {
        var (identity, problem) = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        if (problem is not null) return problem;
        var type = status switch { IdentityStatus.Active => "user.resume", IdentityStatus.Suspended => "user.suspend", _ => "user.disable" };
        if (identity!.Status == status) return Results.Ok(await ToDtoAsync(identity, cancellationToken).ConfigureAwait(false));
        var result = await ApplyUpdateAsync(caller, identity, identity with { Status = status, Revision = identity.Revision + 1 }, identity.Revision, type, info,
            new JsonObject { ["previous_status"] = identity.Status.ToName() }, cancellationToken).ConfigureAwait(false);
        // Certificates outlive nothing they were issued for: a suspended or disabled identity's go into the next KRL.
        if (status != IdentityStatus.Active && result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status200OK })
            await sshRevocations.RevokeIdentityAsync(identity, $"{identity.Kind.ToName()} {status.ToName()}", caller.Actor, info, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task<IResult> ApplyUpdateAsync(CustosPrincipal caller, IdentityRecord before, IdentityRecord after, long expectedRevision, string auditType,
        RequestInfo info, JsonObject details, CancellationToken cancellationToken)
    {
        var result = await store.UpdateIdentityAsync(after with { Revision = expectedRevision + 1 }, expectedRevision, Now(), cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case IdentityUpdateResult.Updated:
                sessions.InvalidateIdentity(before.Id);
                await AuditAsync(auditType, caller.Actor, AuditOutcome.Success, info, Target(before), details: details, cancellationToken: cancellationToken).ConfigureAwait(false);
                var fresh = await store.GetIdentityAsync(before.Id, cancellationToken).ConfigureAwait(false) ?? after;
                return Results.Ok(await ToDtoAsync(fresh, cancellationToken).ConfigureAwait(false));
            case IdentityUpdateResult.Stale:
                return Problems.Conflict("stale-revision", "Stale revision", $"{before.Name} was changed by someone else (revision is now newer than {expectedRevision}); read it again and retry");
            case IdentityUpdateResult.LastAdministrator:
                await AuditAsync(auditType, caller.Actor, AuditOutcome.Denied, info, Target(before), "last_administrator", cancellationToken: cancellationToken).ConfigureAwait(false);
                return Problems.Conflict("last-administrator", "Last administrator", $"{before.Name} is the last active administrator; make another administrator first");
            default:
                return Problems.NotFound($"no user, bot or agent named {before.Name}");
        }
    }

    public async Task<IResult> DeleteUserAsync(CustosPrincipal caller, string name, RequestInfo info, CancellationToken cancellationToken)
    {
        var (identity, problem) = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        if (problem is not null) return problem;
        var result = await store.DeleteIdentityAsync(identity!.Id, cancellationToken).ConfigureAwait(false);
        if (result == IdentityUpdateResult.LastAdministrator)
        {
            await AuditAsync("user.delete", caller.Actor, AuditOutcome.Denied, info, Target(identity), "last_administrator", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Conflict("last-administrator", "Last administrator", $"{identity.Name} is the last active administrator; make another administrator first");
        }
        if (result != IdentityUpdateResult.Updated) return Problems.NotFound($"no user, bot or agent named {name}");
        sessions.InvalidateIdentity(identity.Id);
        await throttle.ClearUserAsync(identity.NameKey, cancellationToken).ConfigureAwait(false);
        await AuditAsync("user.delete", caller.Actor, AuditOutcome.Success, info, Target(identity), cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>reset-mfa (needs a recent MFA check) or reset-password: a one-time invitation for the user; nothing is changed until it is accepted.</summary>
    public async Task<IResult> ResetAsync(CustosPrincipal caller, string name, InvitationPurpose purpose, RequestInfo info, CancellationToken cancellationToken)
    {
        var (identity, problem) = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        if (problem is not null) return problem;
        if (!identity!.Kind.IsHuman()) return Problems.Validation("name", $"{identity.Name} is a {identity.Kind.ToName()}; bots and agents have no password or MFA");
        if (purpose == InvitationPurpose.MfaReset && !IsRecentMfa(caller)) return StepUpRequired("resetting MFA");
        var (token, invitation) = Invitations.New(identity.Id, purpose, _options.InvitationTtl, caller.Identity.Name, Now());
        await store.CreateInvitationAsync(invitation, cancellationToken).ConfigureAwait(false);
        await AuditAsync(purpose == InvitationPurpose.MfaReset ? "mfa.reset" : "user.password.reset_issue", caller.Actor, AuditOutcome.Success, info, Target(identity),
            details: new JsonObject { ["invitation_id"] = invitation.Id, ["expires_at"] = AuditChain.FormatTime(invitation.ExpiresAt) }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(new InvitationDto(invitation.Id, purpose.ToName(), token, AuditChain.FormatTime(invitation.ExpiresAt)));
    }

    public async Task<IResult> UnlockAsync(CustosPrincipal caller, string name, RequestInfo info, CancellationToken cancellationToken)
    {
        if (!IdentityName.TryNormalize(name, out var normalised, out var key, out var error)) return Problems.Validation("name", error ?? "is not a valid name");
        var cleared = await throttle.ClearUserAsync(key, cancellationToken).ConfigureAwait(false);
        await AuditAsync("user.unlock", caller.Actor, AuditOutcome.Success, info, "user/" + normalised, details: new JsonObject { ["records_cleared"] = cleared },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }
}
