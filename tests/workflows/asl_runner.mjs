// Runs one ASL definition under aws-local-stepfunctions, each Task state's resource replaced
// by a call to the task server (tests/workflows/engines.py), and prints what happened as one
// JSON line: {"status", "output" | "error" + "cause", "path"}.
//   node asl_runner.mjs <definition.json> <input.json> <task server url> <retry interval ms>
import { readFileSync } from "node:fs";

// aws-local-stepfunctions 3 calls Promise.withResolvers, new in Node.js 22; the machine has
// Node.js 20, so it is defined here (its specified behaviour) before the library loads.
if (!Promise.withResolvers) {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const { StateMachine } = await import("aws-local-stepfunctions");

const [definitionFile, inputFile, taskServer, retryMs] = process.argv.slice(2);
const definition = JSON.parse(readFileSync(definitionFile, "utf8"));
const input = JSON.parse(readFileSync(inputFile, "utf8"));

function taskStates(states, found = []) {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === "Task") found.push([name, state.Resource]);
    for (const branch of state.Branches ?? []) taskStates(branch.States, found);
    if (state.ItemProcessor) taskStates(state.ItemProcessor.States, found);
  }
  return found;
}

// Step Functions' context object is the execution's everywhere: $$.Execution.Input inside a
// map iteration or a parallel branch is the execution's input. aws-local-stepfunctions 3.0
// runs each iteration and branch as a run of its own whose Execution.Input is that run's
// input, so the envelope's "execution" field (polyfn's "execution.$": "$$.Execution.Input")
// is set back to the execution's input here, as Step Functions would have filled it.
const handlers = {};
const retryOverrides = {};
for (const [name, resource] of taskStates(definition.States)) {
  handlers[name] = async (taskInput) => {
    const answer = await fetch(taskServer, {
      method: "POST",
      body: JSON.stringify({
        resource,
        input: "execution" in taskInput ? { ...taskInput, execution: input } : taskInput,
      }),
    }).then((r) => r.json());
    if ("error" in answer) {
      const error = new Error(answer.cause);
      error.name = answer.error; // what Retry and Catch match ErrorEquals against
      throw error;
    }
    return answer.result;
  };
  retryOverrides[name] = Number(retryMs);
}

const machine = new StateMachine(definition);
const execution = machine.run(input, {
  overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retryOverrides },
});
const path = [];
const logs = (async () => {
  for await (const event of execution.eventLogs) {
    // Top-level states only: states inside parallel branches and map iterations carry an index.
    if (event.type === "StateEntered" && event.index === undefined) path.push(event.state.name);
  }
})();
let summary;
try {
  const output = await execution.result;
  summary = { status: "succeeded", output };
} catch (error) {
  const timedOut = error.name === "ExecutionTimeoutError";
  const cause = error.cause ?? error;
  summary = {
    status: timedOut ? "timed_out" : "failed",
    error: timedOut ? "States.Timeout" : cause.name,
    cause: cause.message,
  };
}
await logs;
process.stdout.write(JSON.stringify({ ...summary, path }) + "\n");
