// podgate completion bash|zsh|fish: shell completion scripts made from the
// command tree itself (commands, subcommands, options and their choices), so
// a command a program registers completes as the built-in ones do.
import { Argument, Command } from "commander";

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

interface Node {
  /** The subcommand words from the root ("export vap"); "" for the root. */
  readonly path: string;
  /** Subcommand names, and the choices of a positional argument (completion's shells). */
  readonly subcommands: readonly string[];
  readonly flags: readonly string[];
  /** Flags that take a value: its choices, or [] for any value (a file, most often). */
  readonly values: ReadonlyMap<string, readonly string[]>;
}

function nodes(command: Command, path = ""): Node[] {
  const options = command.options;
  const flags = options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
  const values = new Map<string, readonly string[]>();
  for (const o of options) {
    if (!o.required && !o.optional) continue;
    for (const f of [o.long, o.short]) if (f) values.set(f, o.argChoices ?? []);
  }
  const subcommands = [...command.commands.map((c) => c.name()), ...command.registeredArguments.flatMap((a) => a.argChoices ?? [])];
  const here: Node = { path, subcommands, flags: [...flags, "--help"], values };
  return [here, ...command.commands.flatMap((c) => nodes(c, path ? `${path} ${c.name()}` : c.name()))];
}

const words = (list: readonly string[]) => list.join(" ");

function bash(name: string, tree: readonly Node[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const cases = tree.map((n) => `    "${n.path}") echo "${words([...n.subcommands, ...n.flags])}" ;;`).join("\n");
  const valueCases = tree.flatMap((n) => [...n.values].map(([flag, choices]) => `    "${n.path}|${flag}") echo "${choices.length ? words(choices) : "<file>"}" ;;`)).join("\n");
  const subcommandCases = tree.map((n) => `    "${n.path}") echo "${words(n.subcommands)}" ;;`).join("\n");
  return `# ${name} completion for bash: source <(${name} completion bash)
${fn}_words() {
  case "$1" in
${cases}
  esac
}
${fn}_values() {
  case "$1" in
${valueCases}
    *) return 1 ;;
  esac
}
${fn}_subcommands() {
  case "$1" in
${subcommandCases}
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" i word values
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " $(${fn}_subcommands "$path") " in
      *" $word "*) path="\${path:+$path }$word" ;;
    esac
  done
  if values="$(${fn}_values "$path|$prev")"; then
    if [ "$values" = "<file>" ]; then COMPREPLY=($(compgen -f -- "$cur")); else COMPREPLY=($(compgen -W "$values" -- "$cur")); fi
    return
  fi
  COMPREPLY=($(compgen -W "$(${fn}_words "$path")" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

function zsh(name: string, tree: readonly Node[]): string {
  return `# ${name} completion for zsh: source <(${name} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(name, tree).split("\n").slice(1).join("\n")}`;
}

function fish(name: string, tree: readonly Node[]): string {
  const fn = `__${name.replace(/[^A-Za-z0-9_]/g, "_")}_path`;
  const lines = [
    `# ${name} completion for fish: ${name} completion fish | source`,
    `function ${fn}`,
    "    set -l path ''",
    "    for word in (commandline -opc)[2..-1]",
    "        switch \"$path|$word\"",
    ...tree.flatMap((n) => n.subcommands.map((s) => `            case '${n.path}|${s}'\n                set path '${n.path ? `${n.path} ` : ""}${s}'`)),
    "        end",
    "    end",
    "    echo $path",
    "end",
  ];
  for (const n of tree) {
    const when = `-n 'test "(${fn})" = "${n.path}"'`;
    if (n.subcommands.length > 0) lines.push(`complete -c ${name} -f ${when} -a '${words(n.subcommands)}'`);
    const longs = n.flags.filter((f) => f.startsWith("--"));
    for (const long of longs) {
      const choices = n.values.get(long);
      const takes = choices === undefined ? "" : choices.length > 0 ? ` -x -a '${words(choices)}'` : " -r -F";
      lines.push(`complete -c ${name} ${when} -l ${long.slice(2)}${takes}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function completionScript(shell: Shell, program: Command): string {
  const tree = nodes(program);
  if (shell === "bash") return bash(program.name(), tree);
  if (shell === "zsh") return zsh(program.name(), tree);
  return fish(program.name(), tree);
}

/** `root` is read when the command runs, so every command registered by then completes. */
export function completionCommand(root: () => Command): Command {
  return new Command("completion")
    .description("Print a shell completion script (commands, options and their choices)")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .addHelpText("after", "\nExamples:\n  source <(podgate completion bash)      # in ~/.bashrc\n  source <(podgate completion zsh)       # in ~/.zshrc\n  podgate completion fish > ~/.config/fish/completions/podgate.fish\n")
    .action((shell: Shell) => {
      process.stdout.write(completionScript(shell, root()));
    });
}
