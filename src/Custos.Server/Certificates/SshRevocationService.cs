using Custos.Core;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Credentials;
using Custos.Core.Identity;
using Custos.Server.Api;
using Custos.Server.Api.Certificates;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Custos.Ssh;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Revocation;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Certificates;

/// <summary>
/// Revocation of SSH user certificates and keys, and the KRL (OpenSSH's binary key revocation list, encoded by the SSH
/// library) that nodes load as <c>RevokedKeys</c>. A certificate is revoked by serial; a key by its SHA-256
/// fingerprint (with every certificate of it); an identity by the key ids of its sessions (<c>USER/SESSION-ID</c>),
/// which covers every certificate issued to it that can still be valid — done at once when it is suspended or
/// disabled. Entries for certificates expire with them and are pruned from the list.
/// </summary>
public sealed class SshRevocationService(ISshRevocationStore store, IIdentityStore identities, CustosRuntime runtime, TimeProvider time)
{
    /// <summary>No user certificate outlives this after issuance (the largest <c>ca.ssh.user_cert_ttl</c>); serial entries are kept as long.</summary>
    public static readonly TimeSpan LongestCertificate = TimeSpan.FromHours(12);

    private readonly Lock _pruneLock = new();
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    public async Task<IResult> RevokeAsync(CustosPrincipal caller, SshRevocationRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        var given = (request.Serial is not null ? 1 : 0) + (request.PublicKey is not null ? 1 : 0) + (request.User is not null ? 1 : 0);
        if (given != 1) return Problems.Validation("request", "give exactly one of serial, public_key or user");
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "revoked by " + caller.Identity.Name : request.Reason.Trim();
        if (reason.Length > 256 || reason.Any(char.IsControl)) return Problems.Validation("reason", "at most 256 characters without control characters");
        var now = Now();
        List<SshRevocation> entries;
        string target;
        if (request.Serial is { } serialText)
        {
            if (!ulong.TryParse(serialText, NumberStyles.None, CultureInfo.InvariantCulture, out var serial) || serial == 0)
                return Problems.Validation("serial", "expected the certificate's serial, a positive decimal number (ssh-keygen -L shows it)");
            entries = [new SshRevocation(SshRevocationKind.Serial, serial.ToString(CultureInfo.InvariantCulture), reason, caller.Identity.Name, now, now + LongestCertificate + runtime.Options.SshCa.ClockSkew)];
            target = "ssh-cert/" + serialText;
        }
        else if (request.PublicKey is { } keyText)
        {
            SshPublicKey key;
            try
            {
                key = SshPublicKey.ParseText(keyText);
            }
            catch (SshFormatException e)
            {
                return Problems.Validation("public_key", "expected an OpenSSH public key line: " + e.Message);
            }
            if (key is SshCertificate certificate) key = certificate.Key;
            entries = [new SshRevocation(SshRevocationKind.Key, key.GetFingerprint(), reason, caller.Identity.Name, now, null)];
            target = "ssh-key/" + key.GetFingerprint();
        }
        else
        {
            if (!IdentityName.TryNormalize(request.User!, out _, out var nameKey, out var error)) return Problems.Validation("user", error ?? "is not a valid name");
            var identity = await identities.GetIdentityByNameAsync(nameKey, cancellationToken).ConfigureAwait(false);
            if (identity is null) return Problems.NotFound($"no user, bot or agent named {request.User}");
            entries = await IdentityEntriesAsync(identity, reason, caller.Identity.Name, now, cancellationToken).ConfigureAwait(false);
            target = (identity.Kind == IdentityKind.User ? "user/" : "bot/") + identity.Name;
        }
        var added = await AddAsync(entries, cancellationToken).ConfigureAwait(false);
        await runtime.RequireAudit().AppendAsync(new AuditEntry("ssh_cert.revoke", caller.Actor, AuditOutcome.Success, target, reason, info.Source, info.RequestId,
            Details(entries, added)), cancellationToken).ConfigureAwait(false);
        return Results.Ok(new SshRevocationResponse(added, [.. entries.Select(ToDto)]));
    }

    /// <summary>Revokes every certificate an identity may still hold (its sessions' key ids); audited as <c>ssh_cert.revoke</c>.</summary>
    public async Task<int> RevokeIdentityAsync(IdentityRecord identity, string reason, AuditActor actor, RequestInfo info, CancellationToken cancellationToken)
    {
        var entries = await IdentityEntriesAsync(identity, reason, actor.Name, Now(), cancellationToken).ConfigureAwait(false);
        var added = await AddAsync(entries, cancellationToken).ConfigureAwait(false);
        if (entries.Count > 0)
        {
            await runtime.RequireAudit().AppendAsync(new AuditEntry("ssh_cert.revoke", actor, AuditOutcome.Success,
                (identity.Kind == IdentityKind.User ? "user/" : "bot/") + identity.Name, reason, info.Source, info.RequestId, Details(entries, added)),
                cancellationToken).ConfigureAwait(false);
        }
        return added;
    }

    public async Task<IResult> ListAsync(CancellationToken cancellationToken) =>
        Results.Ok(new SshRevocationListResponse([.. (await store.ListSshRevocationsAsync(Now(), cancellationToken).ConfigureAwait(false)).Select(ToDto)]));

    /// <summary>The KRL of everything in force, and its ETag (the SHA-256 of its bytes: equal lists give equal bytes).</summary>
    public async Task<(byte[] Krl, string ETag)> BuildKrlAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        bool prune;
        lock (_pruneLock)
        {
            // Expired entries leave the list at once (the query filters them); the table is swept at most once a minute.
            prune = now - _prunedAt >= TimeSpan.FromMinutes(1);
            if (prune) _prunedAt = now;
        }
        if (prune)
            await store.PruneSshRevocationsAsync(now, cancellationToken).ConfigureAwait(false);
        var entries = await store.ListSshRevocationsAsync(now, cancellationToken).ConfigureAwait(false);
        var builder = new KeyRevocationListBuilder { Comment = "custos user CA" };
        var newest = DateTimeOffset.UnixEpoch;
        foreach (var entry in entries)
        {
            if (entry.RevokedAt > newest) newest = entry.RevokedAt;
            switch (entry.Kind)
            {
                case SshRevocationKind.Serial:
                    builder.RevokeSerial(null, ulong.Parse(entry.Value, CultureInfo.InvariantCulture));
                    break;
                case SshRevocationKind.KeyId:
                    builder.RevokeKeyId(null, entry.Value);
                    break;
                case SshRevocationKind.Key:
                    builder.RevokeKeySha256(FingerprintBytes(entry.Value));
                    break;
            }
        }
        // Version and date come from the newest entry, so an unchanged list encodes to the same bytes (and ETag).
        builder.Version = (ulong)Math.Max(0, newest.ToUnixTimeSeconds());
        var bytes = builder.Build(new FixedTime(newest)).Encode();
        return (bytes, "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes)) + "\"");
    }

    private async Task<List<SshRevocation>> IdentityEntriesAsync(IdentityRecord identity, string reason, string by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var sessions = await identities.ListSessionsAsync(identity.Id, includeEnded: true, now, cancellationToken).ConfigureAwait(false);
        var skew = runtime.Options.SshCa.ClockSkew;
        // A certificate never outlives the session that authorised it; sessions that ended longer ago are harmless.
        return [.. sessions.Where(s => s.ExpiresAt + skew > now && (s.RevokedAt is null || s.RevokedAt.Value + LongestCertificate + skew > now))
            .Select(s => new SshRevocation(SshRevocationKind.KeyId, $"{identity.Name}/{s.Id}", reason, by, now, s.ExpiresAt + skew))];
    }

    private async Task<int> AddAsync(List<SshRevocation> entries, CancellationToken cancellationToken)
    {
        var added = 0;
        foreach (var entry in entries)
        {
            if (await store.AddSshRevocationAsync(entry, cancellationToken).ConfigureAwait(false)) added++;
        }
        return added;
    }

    private static JsonObject Details(List<SshRevocation> entries, int added) => new()
    {
        ["added"] = added,
        ["entries"] = new JsonArray([.. entries.Take(100).Select(e => (JsonNode)$"{e.Kind.ToName()}:{e.Value}")]),
    };

    private static SshRevocationDto ToDto(SshRevocation r) => new(r.Kind.ToName(), r.Value, r.Reason, r.RevokedBy, AuditChain.FormatTime(r.RevokedAt),
        r.ExpiresAt is { } e ? AuditChain.FormatTime(e) : null);

    private static byte[] FingerprintBytes(string fingerprint)
    {
        var b64 = fingerprint["SHA256:".Length..];
        b64 += new string('=', (4 - (b64.Length % 4)) % 4);
        return Convert.FromBase64String(b64);
    }

    private DateTimeOffset Now() => time.GetUtcNowMicroseconds();

    private sealed class FixedTime(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }
}
