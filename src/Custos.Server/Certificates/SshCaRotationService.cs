using System.Text.Json.Nodes;
using Custos.Core.Audit;
using Custos.Core.Credentials;
using Custos.Core.Policy;
using Custos.Server.Api;
using Custos.Server.Api.Certificates;
using Custos.Server.Hosting;
using Custos.Server.Identity;
using Microsoft.AspNetCore.Http;

namespace Custos.Server.Certificates;

/// <summary>
/// Rotation of the SSH user and host CAs, in phases: <c>standby → init → update_clients → update_servers →
/// standby</c>, or <c>rollback</c> to the old key from any phase but standby.
/// <list type="bullet">
/// <item><c>init</c>: a new key is created (<see cref="SshCaKeyState.Next"/>): trusted and exported (nodes pick it up
/// with <c>custos node sync</c>, clients with the known_hosts export), not signing yet;</item>
/// <item><c>update_clients</c>: the user CA's new key signs user certificates (the old one stays trusted as
/// <see cref="SshCaKeyState.Previous"/>); for the host CA nothing moves: clients refresh what they trust;</item>
/// <item><c>update_servers</c>: the host CA's new key signs host certificates (nodes get new ones at their next sync);</item>
/// <item><c>standby</c>: the old key is retired: no longer trusted, exported or in sync bundles. Before the grace
/// period (from the start of the rotation) has passed this needs <c>force</c>.</item>
/// </list>
/// An automatic rotation (no phase given) moves through the phases by itself at a third, two thirds and the whole of
/// the grace period (<see cref="SshCaRotationWorker"/>). Every step is one storage transaction guarded by the
/// rotation's version, so concurrent steps (two administrators, two instances) make one step; each is audited
/// (<c>ssh_ca.rotate</c>) and the CA keys are reloaded at once here and within a poll interval elsewhere.
/// </summary>
public sealed class SshCaRotationService(ISshCaRotationStore rotations, ISshCaStore keys, SshCaService ca, CustosRuntime runtime, TimeProvider time)
{
    public const string Manual = "manual";
    public const string Auto = "auto";
    public const string Rollback = "rollback";
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinGrace = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxGrace = TimeSpan.FromDays(30);

    public async Task<CaStatusResponse> StatusAsync(CancellationToken cancellationToken)
    {
        var stored = await rotations.ListSshCaRotationsAsync(cancellationToken).ConfigureAwait(false);
        var allKeys = await keys.ListSshCaKeysAsync(cancellationToken).ConfigureAwait(false);
        return new CaStatusResponse([.. new[] { SshCaType.User, SshCaType.Host }.Select(type => ToDto(Rotation(stored, type), allKeys))]);
    }

    public async Task<IResult> RotateAsync(CustosPrincipal caller, string typeName, CaRotateRequest request, RequestInfo info, CancellationToken cancellationToken)
    {
        if (!SshCaNames.TryParseType(typeName, out var type)) return Problems.NotFound("no such CA: expected /v1/ca/ssh/user/rotate or /v1/ca/ssh/host/rotate");
        string? phaseName = request.Phase;
        if (phaseName is not null && phaseName != Rollback && !SshCaPhases.TryParse(phaseName, out _))
            return Problems.Validation("phase", "expected init, update_clients, update_servers, standby or rollback");
        var grace = DefaultGrace;
        if (request.Grace is not null && (!Durations.TryParse(request.Grace, out grace) || grace < MinGrace || grace > MaxGrace))
            return Problems.Validation("grace", "expected a duration from 1s to 30d, such as 1h");

        var current = Rotation(await rotations.ListSshCaRotationsAsync(cancellationToken).ConfigureAwait(false), type);
        var target = phaseName is null ? SshCaPhase.Init : phaseName == Rollback ? SshCaPhase.Standby : Parse(phaseName);
        var mode = phaseName is null ? Auto : Manual;
        if (phaseName is null && current.Phase != SshCaPhase.Standby)
            return Problems.Conflict("rotation-in-progress", "A rotation is in progress", $"the {type.ToName()} CA is in phase {current.Phase.ToName()}: finish it with --phase, or --phase rollback");
        if (request.Grace is not null && current.Phase != SshCaPhase.Standby)
            return Problems.Validation("grace", "the grace period is set when a rotation starts (phase init)");
        var expectedNext = Following(current.Phase);
        if (phaseName != Rollback && target != expectedNext)
            return Problems.Conflict("wrong-phase", "Not the next phase",
                $"the {type.ToName()} CA is in phase {current.Phase.ToName()}; the next phase is {expectedNext.ToName()} (or rollback)");
        if (phaseName == Rollback && current.Phase == SshCaPhase.Standby)
            return Problems.Conflict("wrong-phase", "Nothing to roll back", $"the {type.ToName()} CA is not rotating");
        var now = time.GetUtcNow();
        if (phaseName is not null && target == SshCaPhase.Standby && phaseName != Rollback && GraceEnds(current) is { } ends && now < ends && request.Force != true)
            return Problems.Conflict("grace-period", "The grace period has not passed",
                $"certificates signed by the old {type.ToName()} CA key may be in use until {AuditChain.FormatTime(ends)}: wait, or pass --force to retire it now");

        var (moved, from) = await StepAsync(type, current, target, phaseName == Rollback, current.Phase == SshCaPhase.Standby ? mode : current.Mode == Auto && mode == Auto ? Auto : Manual, grace, cancellationToken).ConfigureAwait(false);
        if (!moved)
            return Problems.Conflict("rotation-conflict", "The rotation moved meanwhile", "another administrator or instance changed this CA's rotation at the same time: check custos admin ca status and retry");
        await runtime.RequireAudit().AppendAsync(new AuditEntry("ssh_ca.rotate", caller.Actor, AuditOutcome.Success, "ssh-ca/" + type.ToName(), phaseName == Rollback ? "rollback" : null,
            info.Source, info.RequestId, new JsonObject
            {
                ["from_phase"] = from.ToName(), ["to_phase"] = target.ToName(), ["mode"] = mode, ["forced"] = request.Force == true,
            }), cancellationToken).ConfigureAwait(false);
        return Results.Ok(await StatusAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Moves automatic rotations whose next phase is due (called by <see cref="SshCaRotationWorker"/>) and returns the
    /// stored rotations as they are afterwards.
    /// </summary>
    public async Task<IReadOnlyList<SshCaRotation>> AdvanceDueAsync(CancellationToken cancellationToken)
    {
        var stored = await rotations.ListSshCaRotationsAsync(cancellationToken).ConfigureAwait(false);
        var movedAny = false;
        foreach (var rotation in stored.Where(r => r.Mode == Auto && r.Phase != SshCaPhase.Standby))
        {
            if (NextPhaseAt(rotation) is not { } due || time.GetUtcNow() < due) continue;
            var target = Following(rotation.Phase);
            var (moved, _) = await StepAsync(rotation.Type, rotation, target, rollback: false, Auto, rotation.Grace ?? DefaultGrace, cancellationToken).ConfigureAwait(false);
            if (!moved) continue; // another instance made the step
            movedAny = true;
            await runtime.RequireAudit().AppendAsync(new AuditEntry("ssh_ca.rotate", AuditActor.System, AuditOutcome.Success, "ssh-ca/" + rotation.Type.ToName(), null, null, null,
                new JsonObject { ["from_phase"] = rotation.Phase.ToName(), ["to_phase"] = target.ToName(), ["mode"] = Auto, ["forced"] = false }), cancellationToken).ConfigureAwait(false);
        }
        return movedAny ? await rotations.ListSshCaRotationsAsync(cancellationToken).ConfigureAwait(false) : stored;
    }

    private async Task<(bool Moved, SshCaPhase From)> StepAsync(SshCaType type, SshCaRotation current, SshCaPhase target, bool rollback, string mode, TimeSpan grace, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var all = (await keys.ListSshCaKeysAsync(cancellationToken).ConfigureAwait(false)).Where(k => k.Type == type).ToList();
        var active = all.Single(k => k.State == SshCaKeyState.Active);
        var next = all.SingleOrDefault(k => k.State == SshCaKeyState.Next);
        var previous = all.SingleOrDefault(k => k.State == SshCaKeyState.Previous);
        var changes = new List<SshCaKeyStateChange>();
        SshCaKeyRecord? newKey = null;
        Core.Crypto.SealedSecret? sealedKey = null;
        var signsAt = type == SshCaType.User ? SshCaPhase.UpdateClients : SshCaPhase.UpdateServers;
        if (rollback)
        {
            if (next is not null) changes.Add(new(next.Id, SshCaKeyState.Next, SshCaKeyState.Retired));
            if (previous is not null)
            {
                changes.Add(new(active.Id, SshCaKeyState.Active, SshCaKeyState.Retired));
                changes.Add(new(previous.Id, SshCaKeyState.Previous, SshCaKeyState.Active));
            }
        }
        else if (target == SshCaPhase.Init)
        {
            // A previous key left over from a forced finish is retired before a new rotation starts.
            if (previous is not null) changes.Add(new(previous.Id, SshCaKeyState.Previous, SshCaKeyState.Retired));
            (newKey, sealedKey) = ca.NewKey(type, SshCaKeyState.Next);
        }
        else if (target == signsAt && next is not null)
        {
            changes.Add(new(active.Id, SshCaKeyState.Active, SshCaKeyState.Previous));
            changes.Add(new(next.Id, SshCaKeyState.Next, SshCaKeyState.Active));
        }
        else if (target == SshCaPhase.Standby && previous is not null)
        {
            changes.Add(new(previous.Id, SshCaKeyState.Previous, SshCaKeyState.Retired));
        }
        var nextRotation = target == SshCaPhase.Standby
            ? new SshCaRotation(type, SshCaPhase.Standby, null, null, null, now, current.Version + 1)
            : current.Phase == SshCaPhase.Standby
                ? new SshCaRotation(type, target, mode, now, grace, now, current.Version + 1)
                : current with { Phase = target, Mode = mode, PhaseChangedAt = now, Version = current.Version + 1 };
        var moved = await rotations.TryApplySshCaRotationStepAsync(new SshCaRotationStep(current, nextRotation, changes, newKey, sealedKey, now), cancellationToken).ConfigureAwait(false);
        if (moved) await ca.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return (moved, current.Phase);
    }

    private static SshCaPhase Parse(string name) => SshCaPhases.TryParse(name, out var phase) ? phase : throw new ArgumentOutOfRangeException(nameof(name));

    private static SshCaPhase Following(SshCaPhase phase) => phase switch
    {
        SshCaPhase.Standby => SshCaPhase.Init,
        SshCaPhase.Init => SshCaPhase.UpdateClients,
        SshCaPhase.UpdateClients => SshCaPhase.UpdateServers,
        _ => SshCaPhase.Standby,
    };

    private static SshCaRotation Rotation(IReadOnlyList<SshCaRotation> stored, SshCaType type) =>
        stored.SingleOrDefault(r => r.Type == type) ?? SshCaRotation.NeverRotated(type);

    private static DateTimeOffset? GraceEnds(SshCaRotation r) => r.StartedAt is { } s && r.Grace is { } g ? s + g : null;

    /// <summary>When an automatic rotation makes its next step: at a third, two thirds and all of the grace period.</summary>
    public static DateTimeOffset? NextPhaseAt(SshCaRotation r)
    {
        if (r.Mode != Auto || r.StartedAt is not { } s || r.Grace is not { } g) return null;
        return r.Phase switch
        {
            SshCaPhase.Init => s + g / 3,
            SshCaPhase.UpdateClients => s + g * 2 / 3,
            SshCaPhase.UpdateServers => s + g,
            _ => null,
        };
    }

    private static CaStatusDto ToDto(SshCaRotation r, IReadOnlyList<SshCaKeyRecord> allKeys) => new(
        r.Type.ToName(), r.Phase.ToName(), r.Mode,
        r.StartedAt is { } s ? AuditChain.FormatTime(s) : null,
        r.Grace is { } g ? Durations.Format(g) : null,
        GraceEnds(r) is { } e ? AuditChain.FormatTime(e) : null,
        NextPhaseAt(r) is { } n ? AuditChain.FormatTime(n) : null,
        [.. allKeys.Where(k => k.Type == r.Type && k.State != SshCaKeyState.Retired)
            .OrderBy(k => k.State == SshCaKeyState.Active ? 0 : 1).ThenBy(k => k.CreatedAt)
            .Select(k => new CaPublicKeyDto(k.Id, k.PublicKey, SshCaService.Fingerprint(k), k.State.ToName(), AuditChain.FormatTime(k.CreatedAt)))]);
}
