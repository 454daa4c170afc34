using System.CommandLine;
using Custos.Cli;
using Custos.Cli.Admin;
using Custos.Cli.Audit;
using Custos.Cli.Serve;

var root = new RootCommand("Custos: privileged access management. Just-in-time, short-lived, audited access.")
{
    ServeCommand.Create(),
    AuditCommands.Create(),
    AdminCommands.Create(),
};
return await CliRunner.RunAsync(root, args);
