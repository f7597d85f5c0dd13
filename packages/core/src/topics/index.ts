export { MAX_TOPIC_LENGTH, validatePattern, validateTopic } from './topic-validation.js';
export { matchTopic } from './match-topic.js';
export { TopicIndex } from './topic-index.js';
