using Custos.Core;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Credentials;
using Custos.Core.Crypto;
using Custos.Server.Hosting;
using Custos.Ssh.Keys;
using Microsoft.Extensions.Logging;

namespace Custos.Server.Certificates;

/// <summary>
/// The SSH user and host certificate authorities of this installation. At first start each gets a key
/// (<c>ca.ssh.algorithm</c>, Ed25519 by default) whose private half is sealed with the master key (envelope
/// encryption) into the database, so every instance sharing the database signs with the same key; two instances
/// starting at once agree on one (the store keeps one active key per CA). Only public keys leave the server.
/// </summary>
public sealed partial class SshCaService(ISshCaStore store, ISecretStore secrets, MasterKey masterKey, CustosRuntime runtime, TimeProvider time, ILogger<SshCaService> logger) : IDisposable
{
    /// <summary>The loaded keys of one CA: the signing key and every key to trust (active first).</summary>
    public sealed record Authority(SshCaType Type, SshCaKeyRecord Active, SshPrivateKey Signer, IReadOnlyList<SshCaKeyRecord> Trusted);

    private readonly EnvelopeSealer _sealer = new(masterKey);
    private volatile Authority? _user;
    private volatile Authority? _host;

    public bool IsLoaded => _user is not null && _host is not null;

    /// <summary>The CA, or an exception that makes the caller fail closed (503) while start-up has not loaded it.</summary>
    public Authority Get(SshCaType type) =>
        (type == SshCaType.User ? _user : _host) ?? throw new SshCaUnavailableException("the SSH certificate authority is not loaded yet: " + (runtime.NotReadyReason ?? "starting"));

    /// <summary>Creates the CA keys that do not exist yet (audited as <c>ssh_ca.create</c>) and loads both CAs.</summary>
    public async Task InitializeAsync(AuditLog audit, CancellationToken cancellationToken)
    {
        foreach (var type in new[] { SshCaType.User, SshCaType.Host })
        {
            var keys = await store.ListSshCaKeysAsync(cancellationToken).ConfigureAwait(false);
            if (keys.Any(k => k.Type == type && k.State == SshCaKeyState.Active))
                continue;
            var created = await CreateKeyAsync(type, SshCaKeyState.Active, cancellationToken).ConfigureAwait(false);
            if (created is not null)
            {
                await audit.AppendAsync(new AuditEntry("ssh_ca.create", AuditActor.System, AuditOutcome.Success, $"ssh-ca/{type.ToName()}/{created.Id}", null,
                    Details: new JsonObject { ["public_key"] = created.PublicKey, ["fingerprint"] = Fingerprint(created), ["algorithm"] = created.Algorithm }),
                    cancellationToken).ConfigureAwait(false);
            }
        }
        await ReloadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the keys again (after a rotation step, here or on another instance).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var keys = await store.ListSshCaKeysAsync(cancellationToken).ConfigureAwait(false);
        var user = await LoadAsync(SshCaType.User, keys, cancellationToken).ConfigureAwait(false);
        var host = await LoadAsync(SshCaType.Host, keys, cancellationToken).ConfigureAwait(false);
        var (oldUser, oldHost) = (_user, _host);
        (_user, _host) = (user, host);
        // A previous signer is no longer handed out; requests that hold it finish with it (it is only disposed once replaced).
        if (oldUser is not null && oldUser.Active.Id != user.Active.Id) oldUser.Signer.Dispose();
        if (oldHost is not null && oldHost.Active.Id != host.Active.Id) oldHost.Signer.Dispose();
    }

    private async Task<Authority> LoadAsync(SshCaType type, IReadOnlyList<SshCaKeyRecord> keys, CancellationToken cancellationToken)
    {
        var active = keys.SingleOrDefault(k => k.Type == type && k.State == SshCaKeyState.Active)
            ?? throw new InvalidOperationException($"the SSH {type.ToName()} CA has no active key");
        var current = type == SshCaType.User ? _user : _host;
        SshPrivateKey signer;
        if (current is not null && current.Active.Id == active.Id)
        {
            signer = current.Signer;
        }
        else
        {
            var name = SshCaNames.SecretName(active.Id);
            var sealedKey = await secrets.GetSecretAsync(name, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"the private key of SSH CA key {active.Id} is missing from the database");
            byte[] text;
            try
            {
                text = _sealer.Open(name, sealedKey);
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"the master key does not open SSH CA key {active.Id}: wrong master.key file or CUSTOS_MASTER_KEY for this database", e);
            }
            try
            {
                signer = SshPrivateKey.Load(Encoding.UTF8.GetString(text));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(text);
            }
        }
        var trusted = keys.Where(k => k.Type == type && k.State is SshCaKeyState.Active or SshCaKeyState.Next or SshCaKeyState.Previous)
            .OrderBy(k => k.State == SshCaKeyState.Active ? 0 : 1).ThenBy(k => k.CreatedAt).ToList();
        return new Authority(type, active, signer, trusted);
    }

    private async Task<SshCaKeyRecord?> CreateKeyAsync(SshCaType type, SshCaKeyState state, CancellationToken cancellationToken)
    {
        var (record, sealedKey) = NewKey(type, state);
        var stored = await store.TryAddSshCaKeyAsync(record, sealedKey, cancellationToken).ConfigureAwait(false);
        if (stored) LogCreated(logger, type.ToName(), record.Id, Fingerprint(record));
        return stored ? record : null;
    }

    /// <summary>A new CA key (<c>ca.ssh.algorithm</c>) in <paramref name="state"/>, and its private half sealed with the master key; nothing is stored.</summary>
    public (SshCaKeyRecord Key, SealedSecret PrivateKey) NewKey(SshCaType type, SshCaKeyState state)
    {
        using var key = SshPrivateKey.Generate(runtime.Options.SshCa.Algorithm == "ecdsa-p256" ? SshKeyType.EcdsaP256 : SshKeyType.Ed25519);
        var id = $"{type.ToName()}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var now = Now();
        var record = new SshCaKeyRecord(id, type, key.Algorithm, key.PublicKey.ToText($"custos-{type.ToName()}-ca-{id}"), state, now, now);
        var text = Encoding.UTF8.GetBytes(key.ToOpenSshText(id));
        try
        {
            return (record, _sealer.Seal(SshCaNames.SecretName(id), text));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    public static string Fingerprint(SshCaKeyRecord key) => SshPublicKey.ParseText(key.PublicKey).GetFingerprint();

    public void Dispose()
    {
        _user?.Signer.Dispose();
        _host?.Signer.Dispose();
    }

    private DateTimeOffset Now() => time.GetUtcNowMicroseconds();

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Created the SSH {Type} CA key {Id} ({Fingerprint})")]
    private static partial void LogCreated(ILogger logger, string type, string id, string fingerprint);
}

/// <summary>The certificate authority is not loaded (start-up): issuance fails closed with 503.</summary>
public sealed class SshCaUnavailableException : Exception
{
    public SshCaUnavailableException()
    {
    }

    public SshCaUnavailableException(string message)
        : base(message)
    {
    }

    public SshCaUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
