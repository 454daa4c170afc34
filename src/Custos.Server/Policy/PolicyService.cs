using Custos.Core;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Identity;
using Custos.Core.Policy;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Custos.Storage;
using Microsoft.Extensions.Logging;

namespace Custos.Server.Policy;

/// <summary>The policy is not loaded (start-up, or the store could not be read): decisions fail closed.</summary>
public sealed class PolicyUnavailableException : Exception
{
    public PolicyUnavailableException()
    {
    }

    public PolicyUnavailableException(string message)
        : base(message)
    {
    }

    public PolicyUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Owns the compiled policy of this instance: loads roles, mappings and resources from the store at start-up (writing
/// the built-in roles into a new store), recompiles when the store's policy version moves (a local write, or another
/// instance's, noticed by <see cref="PolicyPoller"/>), and swaps the compiled set atomically; readers never lock.
/// A stored role that no longer parses is compiled as "deny everything to its holders" (fail closed), logged, and
/// named in the explanation.
/// </summary>
public sealed partial class PolicyService(IPolicyStore store, CustosRuntime runtime, TimeProvider time, ILogger<PolicyService> logger) : IDisposable
{
    private sealed record State(PolicySet Set, long Version, IReadOnlyList<string> UnreadableRoles, IReadOnlyDictionary<string, StoredResource> Inventory);

    private volatile State? _state;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly ConditionalWeakTable<IdentityRecord, PolicySubject> _subjects = new();

    /// <summary>The compiled policy, or an exception that makes the caller fail closed.</summary>
    public PolicySet Current => _state?.Set ?? throw new PolicyUnavailableException("the policy is not loaded yet: " + (runtime.NotReadyReason ?? "starting"));

    public bool IsLoaded => _state is not null;

    /// <summary>The store's policy version the current set was compiled from.</summary>
    public long Version => _state?.Version ?? -1;

    /// <summary>
    /// The inventory entry (address, port, host key trust) the current policy was compiled with, or null; read from
    /// memory, so that issuing a certificate does not read the database.
    /// </summary>
    public StoredResource? FindResource(string name) =>
        (_state ?? throw new PolicyUnavailableException("the policy is not loaded yet")).Inventory.GetValueOrDefault(name);

    /// <summary>Roles stored but unreadable by this version (compiled as deny-all).</summary>
    public IReadOnlyList<string> UnreadableRoles => _state?.UnreadableRoles ?? [];

    /// <summary>The identity as the engine sees it, cached per identity record (a session's record is reused across requests).</summary>
    public PolicySubject SubjectOf(IdentityRecord identity) => _subjects.GetValue(identity, PolicySubject.From);

    /// <summary>
    /// Start-up: a store that never held policy (version 0) gets the built-in roles, each audited as
    /// <c>role.create</c> by the system; then the policy is compiled.
    /// </summary>
    public async Task InitializeAsync(AuditLog audit, CancellationToken cancellationToken)
    {
        if (await store.GetPolicyVersionAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            var now = Now();
            foreach (var role in BuiltInRoleDocuments.All)
            {
                var yaml = role.ToCanonicalYaml();
                // Two instances starting on one new database both try; the second finds the name taken.
                if (await store.TryCreateRoleAsync(new StoredRole(role.Name, yaml, 1, now, "system"), cancellationToken).ConfigureAwait(false))
                {
                    await audit.AppendAsync(new AuditEntry("role.create", AuditActor.System, AuditOutcome.Success, "role/" + role.Name, "built-in default",
                        Details: new JsonObject { ["revision"] = 1, ["after_sha256"] = Digests.Of(yaml) }), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        await RefreshAsync(force: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Recompiles when the store's version differs from the compiled one (always with <paramref name="force"/>).</summary>
    public async Task RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var version = await store.GetPolicyVersionAsync(cancellationToken).ConfigureAwait(false);
            if (force || _state is not { } current || current.Version != version)
                await ReloadAsync(version, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>
    /// Runs a local write to the policy store and brings the compiled policy up to date before returning, holding the
    /// reload lock throughout so the poller cannot recompile everything in between. When the store's version moved by
    /// exactly one (no other instance wrote meanwhile) and <paramref name="change"/> gives a derivation for the
    /// result — a role recompiled against the existing resource index, new mappings —, that is applied; otherwise
    /// everything is recompiled (resource changes always are).
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<Task<T>> write, Func<T, Func<PolicySet, PolicySet>?> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(change);
        await _reload.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await write().ConfigureAwait(false);
            var version = await store.GetPolicyVersionAsync(cancellationToken).ConfigureAwait(false);
            if (_state is { } current && current.Version == version)
                return result; // nothing was written
            if (_state is { } before && version == before.Version + 1 && change(result) is { } derive)
                _state = before with { Set = derive(before.Set), Version = version };
            else
                await ReloadAsync(version, cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Reads everything and compiles it; the caller holds the reload lock.</summary>
    private async Task ReloadAsync(long version, CancellationToken cancellationToken)
    {
        // The version is read before the data: a write landing in between makes the data newer than the version,
        // and the next poll loads again. Never the other way round (data older than the version it claims).
        var roles = await store.ListRolesAsync(cancellationToken).ConfigureAwait(false);
        var mappings = await store.ListRoleMappingsAsync(cancellationToken).ConfigureAwait(false);
        var resources = await store.ListResourcesAsync(cancellationToken).ConfigureAwait(false);
        var documents = new List<RoleDocument>(roles.Count);
        var unreadable = new List<string>();
        foreach (var role in roles)
        {
            if (RoleParser.TryParse(role.Yaml, out var document, out var errors) && document!.Name == role.Name)
            {
                documents.Add(document);
                continue;
            }
            unreadable.Add(role.Name);
            LogUnreadableRole(logger, role.Name, errors.Count > 0 ? errors[0].ToString() : "the name inside differs");
            // A name no valid document can carry cannot be assigned either (assignments name valid roles only).
            if (RoleParser.IsValidRoleName(role.Name))
                documents.Add(DenyAll(role.Name));
        }
        var started = time.GetTimestamp();
        var set = PolicySet.Compile(documents, mappings, resources.Select(r => r.ToPolicyResource()));
        LogCompiled(logger, version, documents.Count, mappings.Count, resources.Count, time.GetElapsedTime(started).TotalMilliseconds);
        _state = new State(set, version, unreadable, resources.ToDictionary(r => r.Name, StringComparer.Ordinal));
    }

    /// <summary>
    /// May the caller of an API request do an admin action (<paramref name="resource"/> null) or a resource action?
    /// The context is the request: now, the client address, and the session's MFA — <c>login</c> when the session was
    /// opened with a second factor, <c>per_session</c> while its last MFA check is within <c>auth.step_up_window</c>.
    /// </summary>
    public Decision Authorize(CustosPrincipal principal, string action, string? resource, string? sourceIp)
    {
        var now = time.GetUtcNow();
        var mfa = principal.Session.MfaAt is not { } at ? MfaLevel.None
            : now - at <= runtime.Options.Identity.StepUpWindow ? MfaLevel.PerSession : MfaLevel.Login;
        var source = sourceIp is not null && IPAddress.TryParse(sourceIp, out var ip) ? ip : null;
        return Current.Decide(SubjectOf(principal.Identity), action, resource, new DecisionContext(now, source, mfa));
    }

    /// <summary>Whether the identity holds <paramref name="action"/> as a standing admin permission (no conditions checked beyond time and MFA given).</summary>
    public bool Allows(CustosPrincipal principal, string action, string? sourceIp) => Authorize(principal, action, null, sourceIp).IsAllowed;

    public void Dispose() => _reload.Dispose();

    private static RoleDocument DenyAll(string name) => RoleParser.Parse(
        $"kind: role\nname: {name}\ndescription: \"unreadable by this version of Custos; denies everything to its holders until rewritten\"\n" +
        "deny:\n  resources: [{ kind: \"*\" }]\n  actions: [\"*\"]\n");

    private DateTimeOffset Now() => time.GetUtcNowMicroseconds();

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "Stored role {Role} cannot be read and denies everything to its holders until it is rewritten: {Problem}")]
    private static partial void LogUnreadableRole(ILogger logger, string role, string problem);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Policy version {Version} compiled: {Roles} roles, {Mappings} mappings, {Resources} resources in {Milliseconds:0.0} ms")]
    private static partial void LogCompiled(ILogger logger, long version, int roles, int mappings, int resources, double milliseconds);
}

/// <summary>SHA-256 digests (lowercase hex) of canonical texts, for audit details (before/after of a change).</summary>
public static class Digests
{
    public static string Of(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
