import { type FormField, fieldPrompt, fieldValue, formFields, stateValues } from './modal-form.js';
import {
  eventCallbackBody,
  homeButtonBody,
  messageButtonBody,
  type Origin,
  slashBody,
  viewSubmissionBody,
} from './payloads.js';
import { buttonLine, type ConsoleButton, renderMessage } from './render.js';
import { canvasLines } from './render-canvas.js';
import type { Shown } from './shown.js';

/** What a session needs: where it writes, how it reaches opsbot, and the local Slack's response URLs. */
export interface SessionDeps {
  write: (line: string) => void;
  /**
   * POSTs a body to opsbot's `/slack/events` as Slack would (form-encoded, or JSON for an Events API body,
   * one starting with `{`); resolves with the response's body.
   */
  post: (body: string) => Promise<{ status: number; text: string }>;
  responseUrl: (target: { channel: string; ts?: string }) => string;
  /** A channel id by its name (incident channels the local Slack created). */
  channelNamed: (name: string) => string | undefined;
  /** A channel id for display: `#inc-…` for incident channels. */
  nameOf: (id: string) => string;
  /** Posts a message as a person in a channel, as typing it in Slack would; returns its ts. */
  say: (channel: string, user: string, text: string) => string;
  /** The `n`-th last top-level message in a channel (1 = the last). */
  recent: (channel: string, n: number) => { ts: string } | undefined;
}

interface Pressable {
  button: ConsoleButton;
  channel: string;
  ts?: string;
  /** The App Home view the button is on (then there is no channel or message). */
  home?: Record<string, unknown>;
}

interface Form {
  view: Record<string, unknown>;
  /** Every input, submitted together. */
  fields: FormField[];
  /** The inputs still to ask, first one next. */
  toAsk: FormField[];
  values: Map<string, string>;
}

/**
 * One person's terminal conversation with opsbot: lines become slash commands, button presses and modal
 * answers sent to opsbot's own endpoint; what the local Slack shows is written back as text.
 */
export class ConsoleSession {
  private pressable: Pressable[] = [];
  private form: Form | undefined;
  private nextTrigger = 0;
  private nextEvent = 0;
  /** Set by `/home`: the next Home shown is the one asked for, any other is an update after a press. */
  private homeAsked = false;

  constructor(
    private readonly deps: SessionDeps,
    public user: string,
    public channel: string,
  ) {}

  /** The prompt for the next line. */
  prompt(): string {
    return this.form ? '? ' : `${this.user} in ${this.deps.nameOf(this.channel)}> `;
  }

  /** Handles one line; resolves false when the person asked to quit. */
  async line(input: string): Promise<boolean> {
    const text = input.trim();
    if (text === '/quit' || text === '/exit') return false;
    if (this.form && text === '/cancel') {
      this.form = undefined;
      this.deps.write('(form closed)');
      return true;
    }
    if (this.form) return this.answerField(input).then(() => true);
    if (text === '') return true;
    const [word, ...rest] = text.split(/\s+/);
    const arg = rest.join(' ');
    if (word === '/as') {
      if (arg) this.user = arg;
      this.deps.write(`(you are now ${this.user})`);
    } else if (word === '/channel') {
      const name = arg.replace(/^#/, '');
      this.channel = (arg ? this.deps.channelNamed(name) : undefined) ?? (name || this.channel);
      this.deps.write(`(you are now in ${this.deps.nameOf(this.channel)})`);
    } else if (word === '/home') {
      this.homeAsked = true;
      await this.event({ type: 'app_home_opened', user: this.user, channel: `D0${this.user}`, tab: 'home' });
    } else if (word === '/say') {
      await this.say(arg);
    } else if (word === '/pin') {
      await this.pin(arg || '1');
    } else if (/^\d+$/.test(text)) {
      await this.press(Number(text));
    } else {
      await this.slash(word === '/ops' ? arg : text);
    }
    return true;
  }

  /** Writes what the bot showed. */
  show(shown: Shown): void {
    if (shown.kind === 'view') {
      this.openForm(shown.view);
      return;
    }
    if (shown.kind === 'home') {
      this.showHome(shown.user, shown.view);
      return;
    }
    if (shown.kind === 'canvas') {
      const edited = shown.edited ? ', edited' : `: ${shown.title}`;
      this.deps.write(`opsbot [${this.deps.nameOf(shown.channel)} canvas${edited}]:`);
      for (const line of canvasLines(shown.parts, this.deps.nameOf)) this.deps.write(`  ${line}`);
      return;
    }
    const { lines, buttons } = renderMessage(shown.args, this.deps.nameOf);
    const channel = shown.channel ? this.deps.nameOf(shown.channel) : 'you';
    const where = shown.kind === 'message' && shown.thread_ts ? `${channel}, in thread` : channel;
    const tag = shown.kind === 'ephemeral' ? ' (only visible to you)' : '';
    this.deps.write(`opsbot [${where}]${tag}:`);
    const [first = '', ...more] = lines;
    this.deps.write(`  ${shown.kind === 'edit' ? '(edited) ' : ''}${first}`);
    for (const line of more) this.deps.write(`  ${line}`);
    if (buttons.length > 0) {
      const ts = shown.kind === 'ephemeral' ? undefined : shown.ts;
      // An edit of an older message (a runbook's card, edited while its question waits in the thread) does
      // not take the numbers of a newer message's buttons: its own are numbered after them.
      const kept = shown.kind === 'edit' ? this.pressable.filter((p) => p.ts && newer(p.ts, shown.ts)) : [];
      const own = buttons.map((button) => ({ button, channel: shown.channel, ...(ts ? { ts } : {}) }));
      this.pressable = [...kept, ...own];
      this.deps.write(`  ${buttonLine(buttons, kept.length + 1)}`);
    }
  }

  /** A published App Home: shown to its user only, its buttons pressable from the view. */
  private showHome(user: string, view: Record<string, unknown>): void {
    if (user !== this.user) return;
    const { lines, buttons } = renderMessage({ blocks: view.blocks }, this.deps.nameOf);
    this.deps.write(`opsbot [your Home tab]${this.homeAsked ? '' : ' (updated)'}:`);
    this.homeAsked = false;
    for (const line of lines) this.deps.write(`  ${line}`);
    if (buttons.length > 0) {
      this.pressable = buttons.map((button) => ({ button, channel: '', home: view }));
      this.deps.write(`  ${buttonLine(buttons)}`);
    }
  }

  /** `/say TEXT`: a message from the current user in the current channel, as Slack delivers it to opsbot. */
  private async say(text: string): Promise<void> {
    if (text === '') {
      this.deps.write('(usage: /say TEXT)');
      return;
    }
    const ts = this.deps.say(this.channel, this.user, text);
    this.deps.write(`(${this.user} said it in ${this.deps.nameOf(this.channel)}; /pin pins it)`);
    await this.event({
      type: 'message',
      channel: this.channel,
      channel_type: 'channel',
      user: this.user,
      text,
      ts,
    });
  }

  /** `/pin [n]`: the current user reacts 📌 to the last (or n-th last) message in the current channel. */
  private async pin(back: string): Promise<void> {
    const message = /^[1-9]\d*$/.test(back) ? this.deps.recent(this.channel, Number(back)) : undefined;
    if (!message) {
      this.deps.write(`(there is no message ${back} back in ${this.deps.nameOf(this.channel)})`);
      return;
    }
    const item = { type: 'message', channel: this.channel, ts: message.ts };
    await this.event({ type: 'reaction_added', user: this.user, reaction: 'pushpin', item });
    this.deps.write(`(📌 on the message at ${message.ts})`);
  }

  /** Delivers an Events API event to opsbot as Slack does: a signed `event_callback` JSON body. */
  private async event(event: Record<string, unknown>): Promise<void> {
    await this.send(eventCallbackBody(event, ++this.nextEvent));
  }

  private async slash(text: string): Promise<void> {
    await this.send(slashBody(this.origin(), text, this.deps.responseUrl({ channel: this.channel })));
  }

  private async press(n: number): Promise<void> {
    const pressed = this.pressable[n - 1];
    if (!pressed) {
      this.deps.write(`(there is no button [${n}])`);
      return;
    }
    const { button, channel, ts, home } = pressed;
    const origin = { ...this.origin(), channel };
    await this.send(
      home
        ? homeButtonBody(origin, button, home)
        : messageButtonBody(origin, button, ts, this.deps.responseUrl({ channel, ...(ts ? { ts } : {}) })),
    );
  }

  private openForm(view: Record<string, unknown>): void {
    const fields = formFields(view);
    const title = (view.title as { text?: string } | undefined)?.text ?? 'Form';
    const how = fields.length === 0 ? '' : ' (answer each prompt; /cancel closes it)';
    this.deps.write(`opsbot opened a form: ${title}${how}`);
    // What the form says besides its inputs: a runbook's question, an action's summary.
    const blocks = Array.isArray(view.blocks) ? (view.blocks as { type?: string }[]) : [];
    const said = renderMessage(
      { blocks: blocks.filter((block) => block.type !== 'input') },
      this.deps.nameOf,
    );
    for (const line of said.lines) this.deps.write(`  ${line}`);
    this.form = { view, fields, toAsk: [...fields], values: new Map() };
    if (fields.length === 0)
      this.submit().catch((error: unknown) => this.deps.write(`(submitting failed: ${String(error)})`));
    else this.ask();
  }

  private ask(): void {
    const field = this.form?.toAsk[0];
    if (field) for (const line of fieldPrompt(field)) this.deps.write(line);
  }

  private async answerField(input: string): Promise<void> {
    const form = this.form;
    const field = form?.toAsk[0];
    if (!form || !field) return;
    const value = fieldValue(field, input);
    if (value === undefined) {
      this.deps.write(`  (pick a number from 1 to ${field.options?.length ?? 0})`);
      this.ask();
      return;
    }
    form.values.set(field.blockId, value);
    form.toAsk.shift();
    if (form.toAsk.length > 0) this.ask();
    else await this.submit();
  }

  private async submit(): Promise<void> {
    const form = this.form;
    if (!form) return;
    const view = { ...form.view, id: 'V0CONSOLE', state: { values: stateValues(form.fields, form.values) } };
    this.form = undefined;
    const answer = await this.send(viewSubmissionBody(this.origin(), view));
    const response = parseJson(answer);
    if (response?.response_action === 'errors') {
      const errors = (response.errors ?? {}) as Record<string, string>;
      for (const [name, message] of Object.entries(errors)) this.deps.write(`  ! ${name}: ${message}`);
      // Only the refused fields are asked again; the others keep their answers.
      const again = form.fields
        .filter((field) => field.blockId in errors)
        .map((field) => ({ ...field, initial: form.values.get(field.blockId) || undefined }));
      this.form = { ...form, toAsk: again.length > 0 ? again : [...form.fields] };
      this.ask();
    } else if (response?.response_action === 'update' && response.view) {
      this.openForm(response.view as Record<string, unknown>);
    }
  }

  private async send(body: string): Promise<string> {
    const { status, text } = await this.deps.post(body);
    if (status !== 200) this.deps.write(`(opsbot answered HTTP ${status}${text ? `: ${text}` : ''})`);
    const ack = parseJson(text);
    if (ack && typeof ack.text === 'string') {
      this.show({ kind: 'ephemeral', channel: this.channel, args: ack });
    }
    return text;
  }

  /** Who acts now, where, with a fresh trigger_id. */
  private origin(): Origin {
    return { user: this.user, channel: this.channel, trigger: `trigger.console.${++this.nextTrigger}` };
  }
}

/** Whether Slack timestamp `a` is later than `b`. */
function newer(a: string, b: string): boolean {
  return Number(a) > Number(b);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
