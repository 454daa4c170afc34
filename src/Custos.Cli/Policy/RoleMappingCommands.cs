using System.CommandLine;
using System.Net;
using Custos.Cli.Client;
using Custos.Cli.Identity;
using Custos.Server.Api.Policy;

namespace Custos.Cli.Policy;

/// <summary>
/// <c>custos admin role-mappings ...</c>: "every identity whose trait KEY holds VALUE has ROLE", so provisioning only
/// sets traits.
/// </summary>
public static class RoleMappingCommands
{
    public static Command Create() => new("role-mappings", "Assign roles by trait: every identity with trait KEY=VALUE gets the role.")
    {
        Add(), List(), Remove(),
    };

    private static Command Add()
    {
        var connection = new ConnectionOptions();
        var trait = TraitOption();
        var role = RoleOption();
        var command = new Command("add", "Map a trait value to a role.") { trait, role };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin role-mappings add", async (context, cancellationToken) =>
        {
            var mapping = ToMapping(context.Get(trait)!, context.Get(role)!);
            using var client = context.OpenSession(connection);
            var (stored, _, status) = await client.SendForStatusAsync<RoleMappingDto>(HttpMethod.Post, "v1/role-mappings", mapping, cancellationToken);
            await context.Out.WriteLineAsync(status == HttpStatusCode.Created
                ? $"Added: {Describe(stored)}."
                : $"Exists already: {Describe(stored)}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var connection = new ConnectionOptions();
        var output = CommonOptions.Output();
        var command = new Command("ls", "List role mappings.") { output };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin role-mappings ls", async (context, cancellationToken) =>
        {
            using var client = context.OpenSession(connection);
            var (list, json) = await client.SendForJsonAsync<RoleMappingListResponse>(HttpMethod.Get, "v1/role-mappings", null, cancellationToken);
            if (context.Get(output) == CommonOptions.Json)
            {
                context.PrintJson(json);
                return ExitCodes.Success;
            }
            Formats.WriteTable(context.Out, ["TRAIT", "VALUE", "ROLE"],
                list.Mappings.OrderBy(m => m.Trait, StringComparer.Ordinal).ThenBy(m => m.Value, StringComparer.Ordinal).ThenBy(m => m.Role, StringComparer.Ordinal)
                    .Select(m => (IReadOnlyList<string>)[m.Trait, m.Value, m.Role]).ToList());
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remove()
    {
        var connection = new ConnectionOptions();
        var trait = TraitOption();
        var role = RoleOption();
        var command = new Command("rm", "Remove a role mapping.") { trait, role };
        connection.AddTo(command);
        CommandContext.Bind(command, "custos admin role-mappings rm", async (context, cancellationToken) =>
        {
            var mapping = ToMapping(context.Get(trait)!, context.Get(role)!);
            using var client = context.OpenSession(connection);
            var query = $"?trait={Uri.EscapeDataString(mapping.Trait)}&value={Uri.EscapeDataString(mapping.Value)}&role={Uri.EscapeDataString(mapping.Role)}";
            await client.SendAsync(HttpMethod.Delete, "v1/role-mappings" + query, null, cancellationToken);
            await context.Out.WriteLineAsync($"Removed: {Describe(mapping)}.");
            return ExitCodes.Success;
        });
        return command;
    }

    public static string Describe(RoleMappingDto mapping) => $"identities with {mapping.Trait}={mapping.Value} have role {mapping.Role}";

    private static RoleMappingDto ToMapping(string trait, string role)
    {
        var (key, value) = CommonOptions.ParseTrait(trait) ?? throw CliException.Usage($"--trait: \"{trait}\" is not KEY=VALUE");
        return new RoleMappingDto(key, value, role);
    }

    private static Option<string> TraitOption()
    {
        var option = new Option<string>("--trait") { Description = "The trait KEY=VALUE (team=dba).", Required = true };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } text && CommonOptions.ParseTrait(text) is null) result.AddError($"--trait: \"{text}\" is not KEY=VALUE");
        });
        return option;
    }

    private static Option<string> RoleOption()
    {
        var option = new Option<string>("--role") { Description = "The role it gives.", Required = true };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } text) return;
            if (text.Contains(',', StringComparison.Ordinal)) result.AddError("--role: one role per mapping");
            else CommonOptions.ValidateRoles(result, result.Tokens, "--role");
        });
        return option;
    }
}
