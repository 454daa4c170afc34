using System.Globalization;
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
    /// <summary>The credential lifetime chosen when the bot was created (an installation setting per bot).</summary>
    private static string BotTtlSetting(string identityId) => "bot.credential_ttl." + identityId;

    /// <summary>Creates a bot or agent and its one-time join token. Never a password.</summary>
    public async Task<IResult> CreateBotAsync(CustosPrincipal caller, CreateBotRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (CheckName(request.Name, "name", out var name, out var nameKey) is { } badName) return badName;
        var kind = IdentityKind.Bot;
        if (request.Kind is not null && (!IdentityNames.TryParseKind(request.Kind, out kind) || kind == IdentityKind.User))
            return Problems.Validation("kind", "must be bot or agent");
        if (CheckRoles(request.Roles, out var roles) is { } badRoles) return badRoles;
        if (CheckTraits(request.Traits, out var traits) is { } badTraits) return badTraits;
        if (roles.Contains(BuiltInRoles.Admin) && !IsRecentMfa(caller)) return StepUpRequired("creating an administrator bot");
        if (ParseTtl(request.CredentialTtl, "credential_ttl", _options.BotCredentialTtl, TimeSpan.FromMinutes(1), IdentityOptions.MaxSessionTtl, out var credentialTtl) is { } badTtl) return badTtl;
        if (ParseTtl(request.JoinTtl, "join_ttl", _options.BotJoinTtl, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30), out var joinTtl) is { } badJoin) return badJoin;

        var now = Now();
        var bot = new IdentityRecord(SecretToken.NewId(), name, nameKey, null, null, kind, IdentityStatus.Active, roles, traits, now, null, 1);
        var (token, invitation) = Invitations.New(bot.Id, InvitationPurpose.BotJoin, joinTtl, caller.Identity.Name, now);
        if (!await store.TryCreateIdentityWithInvitationAsync(bot, invitation, cancellationToken).ConfigureAwait(false))
            return Problems.Conflict("name-taken", "Name taken", $"the name {name} is taken (names are unique without regard to case)");
        await runtime.Store.SetSettingAsync(BotTtlSetting(bot.Id), ((long)credentialTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        await AuditAsync("bot.create", caller.Actor, AuditOutcome.Success, info, Target(bot), details: new JsonObject
        {
            ["kind"] = kind.ToName(),
            ["roles"] = new JsonArray(roles.Select(r => (JsonNode?)r).ToArray()),
            ["credential_ttl_seconds"] = (long)credentialTtl.TotalSeconds,
            ["join_token_id"] = invitation.Id,
            ["join_expires_at"] = AuditChain.FormatTime(invitation.ExpiresAt),
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Created("/v1/users/" + Uri.EscapeDataString(name), new CreateBotResponse(await ToDtoAsync(bot, cancellationToken).ConfigureAwait(false),
            new InvitationDto(invitation.Id, "bot_join", token, AuditChain.FormatTime(invitation.ExpiresAt))));
    }

    private static IResult? ParseTtl(string? text, string field, TimeSpan fallback, TimeSpan min, TimeSpan max, out TimeSpan ttl)
    {
        ttl = fallback;
        if (text is null) return null;
        try
        {
            ttl = ConfigurationLoader.ParseDuration(text, field);
        }
        catch (ConfigurationException e)
        {
            return Problems.Validation(field, e.Message);
        }
        return ttl < min || ttl > max ? Problems.Validation(field, $"must be from {min} to {max}") : null;
    }

    /// <summary>Exchanges a join token for the bot's first credential (generation 1) and access token.</summary>
    public async Task<IResult> JoinBotAsync(BotJoinRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var token = request.Token?.Trim();
        var id = token is null ? null : SecretToken.TryGetId(token, SecretToken.BotJoinPrefix);
        var invitation = id is null ? null : await store.GetInvitationAsync(id, cancellationToken).ConfigureAwait(false);
        var now = Now();
        if (invitation is null || invitation.Purpose != InvitationPurpose.BotJoin || !SecretToken.Matches(token!, invitation.TokenHash) || invitation.UsedAt is not null || invitation.ExpiresAt <= now)
        {
            var reason = id is null ? "malformed_token" : invitation is null ? "unknown_token" : invitation.UsedAt is not null ? "used_token" : invitation.ExpiresAt <= now ? "expired_token" : "wrong_token";
            await AuditAsync("bot.join", Anonymous(null), AuditOutcome.Failure, info, id is null ? null : "join-token/" + id, reason, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-token", "Invalid join token", InvalidTokenDetail + "; ask an administrator for a new join token");
        }
        var bot = await store.GetIdentityAsync(invitation.UserId, cancellationToken).ConfigureAwait(false);
        if (bot is null || bot.Status != IdentityStatus.Active)
        {
            if (bot is not null) await AuditAsync("bot.join", ActorOf(bot), AuditOutcome.Denied, info, Target(bot), "identity_" + bot.Status.ToName(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("identity-inactive", "Identity not active", "this bot is not active; an administrator can resume it");
        }
        var ttl = await BotTtlAsync(bot.Id, cancellationToken).ConfigureAwait(false);
        var (credential, record) = NewBotCredential(bot, 1, ttl, now);
        var (accessToken, session) = NewSession(bot, SessionKind.Bot, ttl, mfa: false, info);
        if (!await store.TryJoinBotAsync(invitation.Id, record, session, now, cancellationToken).ConfigureAwait(false))
        {
            await AuditAsync("bot.join", ActorOf(bot), AuditOutcome.Failure, info, Target(bot), "used_token", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-token", "Invalid join token", InvalidTokenDetail);
        }
        await AuditAsync("bot.join", ActorOf(bot), AuditOutcome.Success, info, Target(bot), details: new JsonObject
        {
            ["generation"] = 1,
            ["session_id"] = session.Id,
            ["expires_at"] = AuditChain.FormatTime(record.ExpiresAt),
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(new BotCredentialResponse(bot.Name, accessToken, credential, 1, AuditChain.FormatTime(record.ExpiresAt), session.Id));
    }

    private async Task<TimeSpan> BotTtlAsync(string identityId, CancellationToken cancellationToken)
    {
        var text = await runtime.Store.GetSettingAsync(BotTtlSetting(identityId), cancellationToken).ConfigureAwait(false);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(Math.Min(seconds, (long)IdentityOptions.MaxSessionTtl.TotalSeconds))
            : _options.BotCredentialTtl;
    }

    private static (string Credential, BotCredentialRecord Record) NewBotCredential(IdentityRecord bot, long generation, TimeSpan ttl, DateTimeOffset now)
    {
        var credential = SecretToken.NewBotCredential(bot.Id, generation);
        return (credential, new BotCredentialRecord(bot.Id, generation, SecretToken.Hash(credential), now, now + ttl, ttl));
    }

    /// <summary>
    /// Renews a bot's credential: generation N (the newest, unexpired) buys generation N+1 and a fresh access token;
    /// older access tokens are revoked. A genuine but superseded generation means two holders: the identity is
    /// suspended at once, every session revoked, and <c>bot.credential.reuse</c> audited.
    /// </summary>
    public async Task<IResult> RenewBotAsync(BotRenewRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var credential = request.Credential?.Trim();
        if (credential is null || !SecretToken.TryParseBotCredential(credential, out var botId, out var generation))
        {
            await AuditAsync("bot.renew", Anonymous(null), AuditOutcome.Failure, info, reason: "malformed_credential", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-credential", "Invalid credential", "the bot credential is malformed");
        }
        var record = await store.GetBotCredentialAsync(botId, generation, cancellationToken).ConfigureAwait(false);
        var bot = record is null ? null : await store.GetIdentityAsync(botId, cancellationToken).ConfigureAwait(false);
        if (record is null || bot is null || !SecretToken.Matches(credential, record.SecretHash))
        {
            await AuditAsync("bot.renew", Anonymous(null), AuditOutcome.Failure, info, "bot-id/" + botId, "unknown_credential", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("invalid-credential", "Invalid credential", "the bot credential is not valid");
        }
        var latest = await store.GetLatestBotCredentialAsync(botId, cancellationToken).ConfigureAwait(false);
        if (latest is not null && latest.Generation > generation)
            return await CredentialReusedAsync(bot, generation, latest.Generation, info, cancellationToken).ConfigureAwait(false);
        if (bot.Status != IdentityStatus.Active)
        {
            await AuditAsync("bot.renew", ActorOf(bot), AuditOutcome.Denied, info, Target(bot), "identity_" + bot.Status.ToName(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Forbidden("identity-inactive", "Identity not active", $"this {bot.Kind.ToName()} is {bot.Status.ToName()}; an administrator can resume it");
        }
        var now = Now();
        if (record.ExpiresAt <= now)
        {
            await AuditAsync("bot.renew", ActorOf(bot), AuditOutcome.Failure, info, Target(bot), "expired_credential", cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Unauthorized("credential-expired", "Credential expired",
                $"the credential expired at {AuditChain.FormatTime(record.ExpiresAt)}; an administrator must issue a new join token");
        }
        var (next, nextRecord) = NewBotCredential(bot, generation + 1, record.Ttl, now);
        var (accessToken, session) = NewSession(bot, SessionKind.Bot, record.Ttl, mfa: false, info);
        if (!await store.TryRenewBotCredentialAsync(nextRecord, session, cancellationToken).ConfigureAwait(false))
        {
            // Another holder renewed this generation first: two copies exist.
            return await CredentialReusedAsync(bot, generation, generation + 1, info, cancellationToken).ConfigureAwait(false);
        }
        var revoked = await store.RevokeUserSessionsAsync(bot.Id, now, "credential renewed", session.Id, cancellationToken).ConfigureAwait(false);
        sessions.InvalidateIdentity(bot.Id);
        await AuditAsync("bot.renew", ActorOf(bot), AuditOutcome.Success, info, Target(bot), details: new JsonObject
        {
            ["generation"] = nextRecord.Generation,
            ["session_id"] = session.Id,
            ["expires_at"] = AuditChain.FormatTime(nextRecord.ExpiresAt),
            ["sessions_revoked"] = revoked,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(new BotCredentialResponse(bot.Name, accessToken, next, nextRecord.Generation, AuditChain.FormatTime(nextRecord.ExpiresAt), session.Id));
    }

    private async Task<IResult> CredentialReusedAsync(IdentityRecord bot, long presented, long newest, RequestInfo info, CancellationToken cancellationToken)
    {
        var now = Now();
        var current = await store.GetIdentityAsync(bot.Id, cancellationToken).ConfigureAwait(false) ?? bot;
        if (current.Status == IdentityStatus.Active)
        {
            await store.UpdateIdentityAsync(current with { Status = IdentityStatus.Suspended, Revision = current.Revision + 1 }, current.Revision, now, cancellationToken).ConfigureAwait(false);
        }
        await store.RevokeUserSessionsAsync(bot.Id, now, "credential reuse detected", null, cancellationToken).ConfigureAwait(false);
        sessions.InvalidateIdentity(bot.Id);
        await AuditAsync("bot.credential.reuse", ActorOf(bot), AuditOutcome.Denied, info, Target(bot), "superseded_generation", details: new JsonObject
        {
            ["presented_generation"] = presented,
            ["newest_generation"] = newest,
            ["action"] = "identity suspended, sessions revoked",
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await AuditAsync("user.suspend", AuditActor.System, AuditOutcome.Success, info, Target(bot), "credential_reuse", cancellationToken: cancellationToken).ConfigureAwait(false);
        return Problems.Unauthorized("credential-reused", "Credential reused",
            "this credential was already renewed: a copy of it exists elsewhere. The identity is suspended; an administrator must investigate, resume it and issue a new join token");
    }

    /// <summary>A fresh join token for an existing bot (after its credential expired or it was suspended and resumed).</summary>
    public async Task<IResult> NewJoinTokenAsync(CustosPrincipal caller, string name, RequestInfo info, CancellationToken cancellationToken)
    {
        var (bot, problem) = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        if (problem is not null) return problem;
        if (bot!.Kind.IsHuman()) return Problems.Validation("name", $"{bot.Name} is a user; users get invitations (custos admin users reset-password)");
        var (token, invitation) = Invitations.New(bot.Id, InvitationPurpose.BotJoin, _options.BotJoinTtl, caller.Identity.Name, Now());
        await store.CreateInvitationAsync(invitation, cancellationToken).ConfigureAwait(false);
        await AuditAsync("bot.join_token.create", caller.Actor, AuditOutcome.Success, info, Target(bot),
            details: new JsonObject { ["join_token_id"] = invitation.Id, ["expires_at"] = AuditChain.FormatTime(invitation.ExpiresAt) }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(new InvitationDto(invitation.Id, "bot_join", token, AuditChain.FormatTime(invitation.ExpiresAt)));
    }
}
