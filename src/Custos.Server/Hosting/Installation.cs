using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Bootstrap;
using Custos.Core.Crypto;
using Custos.Core.Installation;
using Custos.Storage;

namespace Custos.Server.Hosting;

/// <summary>Installation-wide state kept in the database, shared by <c>custos serve</c> and the offline admin commands.</summary>
public static class Installation
{
    public const string AuditSigningKeySecret = "audit.signing_key";

    /// <summary>
    /// Opens the audit signing key, creating it on first start. A key sealed under another master key is a fatal
    /// configuration error (the wrong master key file or CUSTOS_MASTER_KEY), never silently replaced.
    /// </summary>
    public static async Task<(AuditSigningKey Key, bool Created)> LoadOrCreateAuditKeyAsync(RelationalStore store, MasterKey masterKey, CancellationToken cancellationToken)
    {
        var sealer = new EnvelopeSealer(masterKey);
        var created = false;
        var sealedKey = await store.GetSecretAsync(AuditSigningKeySecret, cancellationToken).ConfigureAwait(false);
        if (sealedKey is null)
        {
            using var fresh = AuditSigningKey.Generate();
            var raw = fresh.ExportPrivateKey();
            try
            {
                created = await store.TryAddSecretAsync(AuditSigningKeySecret, sealer.Seal(AuditSigningKeySecret, raw), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(raw);
            }
            sealedKey = await store.GetSecretAsync(AuditSigningKeySecret, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("the audit signing key vanished after it was stored");
        }
        byte[] privateKey;
        try
        {
            privateKey = sealer.Open(AuditSigningKeySecret, sealedKey);
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException(
                "the master key does not open this database's audit signing key: wrong master.key file or CUSTOS_MASTER_KEY for this database", e);
        }
        try
        {
            var key = AuditSigningKey.Import(privateKey);
            var publicKey = AuditSigningKey.FormatPublicKey(key.PublicKey);
            var stored = await store.GetOrAddSettingAsync(SettingKeys.AuditPublicKey, publicKey, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(stored, publicKey, StringComparison.Ordinal))
                throw new InvalidOperationException("the stored audit public key does not match the sealed signing key; the database was altered");
            await store.GetOrAddSettingAsync(SettingKeys.InstallationId, Guid.NewGuid().ToString("n"), cancellationToken).ConfigureAwait(false);
            return (key, created);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>True once the first administrator has been created (the identity issue sets the marker).</summary>
    public static async Task<bool> IsBootstrappedAsync(ISettingStore settings, CancellationToken cancellationToken) =>
        await settings.GetSettingAsync(SettingKeys.BootstrapCompletedAt, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// Issues a one-time bootstrap token: stores its hash (replacing any earlier unused one), writes the plaintext to
    /// DIR/bootstrap.token (0600) and audits the issuance (without the token).
    /// </summary>
    public static async Task<BootstrapTokenRecord> IssueBootstrapTokenAsync(
        RelationalStore store, AuditLog audit, DataDirectory dir, TimeProvider time, TimeSpan lifetime, AuditActor actor, CancellationToken cancellationToken)
    {
        var (token, record) = BootstrapToken.Issue(time, lifetime);
        await AuditIssueAsync(audit, dir, record, actor, cancellationToken).ConfigureAwait(false);
        await store.ReplaceBootstrapTokenAsync(record, cancellationToken).ConfigureAwait(false);
        DataDirectory.WriteSecretFile(dir.BootstrapTokenFile, token + "\n");
        return record;
    }

    /// <summary>
    /// The first start's token: issued only if no token was ever issued, so that of several instances starting at
    /// once on one database exactly one issues it (the others get null). The stored hash is useless until the
    /// plaintext is written, and that happens only after the issuance is audited.
    /// </summary>
    public static async Task<BootstrapTokenRecord?> IssueFirstBootstrapTokenAsync(
        RelationalStore store, AuditLog audit, DataDirectory dir, TimeProvider time, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var (token, record) = BootstrapToken.Issue(time, lifetime);
        if (!await store.TryAddFirstBootstrapTokenAsync(record, cancellationToken).ConfigureAwait(false)) return null;
        await AuditIssueAsync(audit, dir, record, AuditActor.System, cancellationToken).ConfigureAwait(false);
        DataDirectory.WriteSecretFile(dir.BootstrapTokenFile, token + "\n");
        return record;
    }

    private static async Task AuditIssueAsync(AuditLog audit, DataDirectory dir, BootstrapTokenRecord record, AuditActor actor, CancellationToken cancellationToken) =>
        await audit.AppendAsync(new AuditEntry("bootstrap.token.issue", actor, AuditOutcome.Success, Target: "bootstrap-token/" + record.Id,
            Details: new JsonObject { ["expires_at"] = AuditChain.FormatTime(record.ExpiresAt), ["file"] = dir.BootstrapTokenFile }), cancellationToken).ConfigureAwait(false);
}
