/**
 * The few rxjs pieces the core runs on, imported from their own modules
 * rather than from rxjs's index. The index loads all ~250 operators: 0.9 MiB
 * of heap and ~45 ms of start-up in every process, before a single message.
 * rxjs's package exports `./internal/*`, and these resolve to the very same
 * module files the index re-exports, so an Observable made here is the
 * `Observable` users import from 'rxjs' (instanceof and operators work).
 * Types still come from 'rxjs'. If a later rxjs moves one of these files,
 * this is the only place to change.
 */
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
export { Subscription } from 'rxjs/internal/Subscription';
export { distinctUntilChanged } from 'rxjs/internal/operators/distinctUntilChanged';
export { isObservable } from 'rxjs/internal/util/isObservable';
