import ArgumentParser
import Foundation
import GanderCore
import GanderRecipes
import GanderStore

/// `gander schedule …`: recipes run by the system's own scheduler (a systemd user timer, else the crontab), so they
/// run with no Gander process open and after a reboot. goose's spellings (`--schedule-id`, `--recipe-source`) work.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Run recipes on a schedule, through the system's own scheduler (systemd user timers, else cron).",
        discussion: """
            Examples:
              gander schedule add --id nightly-review --cron "0 2 * * *" --recipe code-review --params branch=main
              gander schedule list
              gander schedule run-now --id nightly-review
              gander schedule sessions --id nightly-review

            The recipe is copied when the job is added, so later edits of the file do not change the job; `schedule \
            update` takes a new copy. Each run is a headless session (`gander sessions list`) in the directory the job \
            was added from, in auto mode; a run that fires while the last is still going is skipped, never run twice.
            """,
        subcommands: [Add.self, List.self, Remove.self, Update.self, RunNow.self, Sessions.self, CronHelp.self, Fire.self])

    /// The job's id: a name that can be a file and a unit name.
    static func checkID(_ id: String) throws {
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }),
              !id.hasPrefix(".") else {
            throw ValidationError("--id must be letters, digits, dots, dashes and underscores (at most 64), like nightly-review")
        }
    }

    struct JobID: ParsableArguments {
        @Option(name: [.customLong("id"), .customLong("schedule-id")], help: "The job's id.")
        var id: String

        func validate() throws { try ScheduleCommand.checkID(id) }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Schedule a recipe.")

        @OptionGroup var job: JobID

        @Option(help: ArgumentHelp("When it runs: five cron fields, six with seconds first, or @hourly/@daily/@weekly (`gander schedule cron-help`).",
                                   valueName: "expression"))
        var cron: String

        @Option(name: [.customLong("recipe"), .customLong("recipe-source")], help: "The recipe: a name, a path or a goose:// deeplink.")
        var recipe: String

        @Option(name: .customLong("params"), help: ArgumentHelp("A value for one of the recipe's parameters (repeatable).", valueName: "key=value"))
        var params: [String] = []

        func run() throws {
            let schedules = try Schedules()
            if (try? schedules.store.schedule(job.id)) != nil {
                throw InputError("a schedule with the id \(job.id) exists; remove it first, or update it")
            }
            let values = try RecipeParameters.parse(params)
            let expression = try CronExpression(cron)
            let scheduler = try SystemScheduler.available(environment: schedules.environment)
            _ = try scheduler.timing(expression)
            let (copy, directory) = try schedules.copy(recipe, values: values, id: job.id)
            let added = ScheduledJob(id: job.id, cron: cron, recipeSource: recipe, recipeCopy: copy.path, recipeDirectory: directory, params: values,
                                     workingDirectory: FileManager.default.currentDirectoryPath, scheduler: scheduler.rawValue)
            do {
                try schedules.store.addSchedule(added)
            } catch {
                try? FileManager.default.removeItem(at: copy)
                throw error
            }
            do {
                try schedules.install(added)
            } catch {
                try? schedules.store.removeSchedule(job.id)
                try? FileManager.default.removeItem(at: copy)
                throw error
            }
            print("scheduled \(job.id): \(cron) through \(scheduler == .systemd ? "a systemd user timer" : "the crontab"); "
                + "`gander schedule run-now --id \(job.id)` runs it now")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The scheduled jobs and how each last ran.")

        func run() throws {
            let schedules = try Schedules()
            let jobs = try schedules.store.schedules()
            guard !jobs.isEmpty else { return print("No scheduled jobs. `gander schedule add --id ID --cron EXPR --recipe NAME` adds one.") }
            var rows = [["ID", "CRON", "BY", "RECIPE", "LAST RUN"]]
            for job in jobs {
                let last = try schedules.store.runs(of: job.id, limit: 1).first
                rows.append([job.id, job.cron, job.scheduler, job.recipeSource, last.map(Schedules.describe) ?? "never"])
            }
            print(Schedules.table(rows), terminator: "")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Unschedule a job (its past sessions stay).")

        @OptionGroup var job: JobID

        func run() throws {
            let schedules = try Schedules()
            let found = try schedules.store.schedule(job.id)
            try SystemScheduler(rawValue: found.scheduler)?.uninstall(id: found.id, environment: schedules.environment)
            try? FileManager.default.removeItem(atPath: found.recipeCopy)
            try schedules.store.removeSchedule(found.id)
            print("removed \(found.id)")
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Take a new copy of a job's recipe, and optionally a new schedule.")

        @OptionGroup var job: JobID

        @Option(help: ArgumentHelp("A new schedule.", valueName: "expression"))
        var cron: String?

        func run() throws {
            let schedules = try Schedules()
            var found = try schedules.store.schedule(job.id)
            found.cron = cron ?? found.cron
            let scheduler = try SystemScheduler(rawValue: found.scheduler) ?? SystemScheduler.available(environment: schedules.environment)
            _ = try scheduler.timing(try CronExpression(found.cron))
            // The original is found from the directory the job was added in, as it was then.
            let (copy, directory) = try schedules.copy(found.recipeSource, values: found.params, id: found.id,
                                                       from: URL(fileURLWithPath: found.workingDirectory))
            found.recipeCopy = copy.path
            found.recipeDirectory = directory
            try schedules.store.updateSchedule(found)
            try schedules.install(found)
            print("updated \(found.id): \(found.cron), a new copy of \(found.recipeSource)")
        }
    }

    struct RunNow: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run-now", abstract: "Run a job now, as its schedule would.")

        @OptionGroup var job: JobID

        func run() throws {
            let schedules = try Schedules()
            let status = schedules.fire(try schedules.store.schedule(job.id), showing: true)
            if status != ExitStatus.success { throw ExitCode(status) }
        }
    }

    struct Sessions: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sessions", abstract: "A job's runs: when, how each ended, its session.")

        @OptionGroup var job: JobID

        @Option(help: "How many, newest first.")
        var limit = 20

        func run() throws {
            let schedules = try Schedules()
            _ = try schedules.store.schedule(job.id)
            let runs = try schedules.store.runs(of: job.id, limit: limit)
            guard !runs.isEmpty else { return print("\(job.id) has not run yet.") }
            var rows = [["STARTED", "ENDED", "SESSION"]]
            for run in runs {
                rows.append([Schedules.time(run.startedAt), Schedules.describe(run), run.sessionID ?? "-"])
            }
            print(Schedules.table(rows), terminator: "")
        }
    }

    struct CronHelp: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cron-help", abstract: "How to write a schedule.")

        func run() { print(CronExpression.help) }
    }

    /// What the system's scheduler runs.
    struct Fire: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fire", abstract: "Run a job for the scheduler.", shouldDisplay: false)

        @Argument var id: String

        func run() throws {
            let schedules = try Schedules()
            let status = schedules.fire(try schedules.store.schedule(id), showing: false)
            if status != ExitStatus.success { throw ExitCode(status) }
        }
    }
}
