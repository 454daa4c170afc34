using System.CommandLine;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Certificates;

namespace Custos.Cli.Certificates;

/// <summary>
/// <c>custos admin ca rotate|status</c>: replacing a CA key without breaking trust. A rotation goes
/// <c>init</c> (new key made, trusted beside the old) → <c>update_clients</c> → <c>update_servers</c> (the new key signs)
/// → <c>standby</c> (the old key dropped after the grace period), automatically over <c>--grace</c>, or one
/// <c>--phase</c> at a time; <c>rollback</c> returns to the old key.
/// </summary>
public static class CaRotationCommands
{
    public static readonly string[] Phases = ["init", "update_clients", "update_servers", "standby", "rollback"];

    public static Command Rotate()
    {
        var connection = new ConnectionOptions();
        var type = new Option<string>("--type") { Description = "Which CA: user or host.", Required = true };
        type.AcceptOnlyFromAmong(CaCommands.User, CaCommands.Host);
        var phase = new Option<string?>("--phase")
        {
            Description = "One manual step: init, update_clients, update_servers, standby or rollback. Without it, an automatic rotation through every phase over --grace.",
        };
        phase.AcceptOnlyFromAmong(Phases);
        var grace = CommonOptions.Duration("--grace", "How long both keys stay trusted before the old one may be dropped (default 1h).");
        var force = new Option<bool>("--force") { Description = "Allow standby before the grace period has passed (certificates of the old key stop working)." };
        var output = CommonOptions.Output();
        var command = new Command("rotate", "Rotate a CA key: start an automatic rotation, or take one manual step.") { type, phase, grace, force, output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin ca rotate", async (context, cancellationToken) =>
        {
            var request = new CaRotateRequest(context.Get(phase), context.Get(grace), context.Get(force) ? true : null);
            using var client = context.OpenSession(connection);
            var (status, json) = await client.SendForJsonAsync<CaStatusResponse>(HttpMethod.Post, $"v1/ca/ssh/{context.Get(type)}/rotate", request, cancellationToken);
            if (context.Get(output) == CommonOptions.Json) context.PrintJson(json);
            else Write(context.Out, status);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Status()
    {
        var connection = new ConnectionOptions();
        var output = CommonOptions.Output();
        var command = new Command("status", "Show each CA's rotation phase and the keys it trusts.") { output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin ca status", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (status, json) = await client.SendForJsonAsync<CaStatusResponse>(HttpMethod.Get, "v1/ca/ssh/status", null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json) context.PrintJson(json);
            else Write(context.Out, status);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One row per CA, then one per trusted key.</summary>
    public static void Write(TextWriter output, CaStatusResponse status)
    {
        var authorities = status.Authorities.OrderBy(a => a.Type == CaCommands.User ? 0 : 1).ThenBy(a => a.Type, StringComparer.Ordinal).ToList();
        Formats.WriteTable(output, ["TYPE", "PHASE", "MODE", "STARTED", "GRACE", "GRACE ENDS", "NEXT PHASE AT"],
            authorities.Select(a => (IReadOnlyList<string>)[a.Type, a.Phase, a.Mode ?? "-", a.StartedAt ?? "-", a.Grace ?? "-", a.GraceEndsAt ?? "-", a.NextPhaseAt ?? "-"]).ToList());
        output.WriteLine();
        Formats.WriteTable(output, ["TYPE", "STATE", "FINGERPRINT", "CREATED"],
            authorities.SelectMany(a => a.Keys.Select(k => (IReadOnlyList<string>)[a.Type, k.State, k.Fingerprint, k.CreatedAt])).ToList());
    }
}
