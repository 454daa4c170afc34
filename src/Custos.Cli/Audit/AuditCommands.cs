using System.CommandLine;

namespace Custos.Cli.Audit;

/// <summary><c>custos audit verify|export</c>: offline, read-only, no running server needed.</summary>
public static class AuditCommands
{
    public static Command Create() => new("audit", "Verify and export the tamper-evident audit log (offline).")
    {
        VerifyCommand.Create(),
        ExportCommand.Create(),
    };
}
